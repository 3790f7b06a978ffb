/**
 * The notification ids a client has shown, bounded: a replay after a
 * reconnect, or an event reaching the client through two of its channels
 * (its user channel and a role), is shown once. The oldest ids are
 * forgotten first; the window only has to cover what a replay can resend.
 */
export class RecentIds {
  readonly #limit: number;
  readonly #ids = new Set<string>();

  constructor(limit = 1000) {
    this.#limit = limit;
  }

  /** True when `id` was seen before; otherwise remembers it. */
  seen(id: string): boolean {
    if (this.#ids.has(id)) return true;
    this.#ids.add(id);
    if (this.#ids.size > this.#limit) {
      // A Set iterates in insertion order: the first is the oldest.
      const oldest = this.#ids.values().next();
      if (!oldest.done) this.#ids.delete(oldest.value);
    }
    return false;
  }
}
