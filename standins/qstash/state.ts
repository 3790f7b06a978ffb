import type {
  DedupRecord,
  DlqEntry,
  StateSnapshot,
  StoredMessage,
  StoredSchedule,
} from "./state_model.ts";

/**
 * The dev server's memory. Maps keep insertion order, which doubles as the
 * tie-break when two messages fall due at the same instant (first published,
 * first delivered). Every mutation calls `changed()` so persistence can
 * follow; callers mutate the stored objects in place and then call it.
 */
export class QStashState {
  readonly messages = new Map<string, StoredMessage>();
  readonly schedules = new Map<string, StoredSchedule>();
  readonly dlq = new Map<string, DlqEntry>();
  readonly dedup = new Map<string, DedupRecord>();
  clockOffsetMs = 0;
  /** Dev-only: URLs told whenever the virtual clock jumps. */
  readonly clockFollowers = new Set<string>();
  #onChange: () => void;
  /** No dedup record expires before this, so most publishes skip the scan. */
  #earliestDedupExpiry = Infinity;

  constructor(onChange: () => void = () => {}) {
    this.#onChange = onChange;
  }

  changed(): void {
    this.#onChange();
  }

  /** Forgets deduplication ids whose window has passed. */
  expireDedup(nowMs: number): void {
    if (nowMs < this.#earliestDedupExpiry) return;
    let removed = false;
    let earliest = Infinity;
    for (const [key, record] of this.dedup) {
      if (record.expiresAt <= nowMs) {
        this.dedup.delete(key);
        removed = true;
      } else earliest = Math.min(earliest, record.expiresAt);
    }
    this.#earliestDedupExpiry = earliest;
    if (removed) this.changed();
  }

  rememberDedup(record: DedupRecord): void {
    this.dedup.set(record.key, record);
    this.#earliestDedupExpiry = Math.min(
      this.#earliestDedupExpiry,
      record.expiresAt,
    );
  }

  toSnapshot(): StateSnapshot {
    return {
      version: 1,
      clockOffsetMs: this.clockOffsetMs,
      messages: [...this.messages.values()],
      schedules: [...this.schedules.values()],
      dlq: [...this.dlq.values()],
      dedup: [...this.dedup.values()],
      clockFollowers: [...this.clockFollowers],
    };
  }

  load(snapshot: StateSnapshot): void {
    this.clockOffsetMs = snapshot.clockOffsetMs;
    for (const m of snapshot.messages) this.messages.set(m.messageId, m);
    for (const s of snapshot.schedules) this.schedules.set(s.scheduleId, s);
    for (const d of snapshot.dlq) this.dlq.set(d.dlqId, d);
    for (const r of snapshot.dedup) this.rememberDedup(r);
    for (const url of snapshot.clockFollowers) this.clockFollowers.add(url);
  }
}
