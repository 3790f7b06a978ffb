import type { EventSourceLike } from "../../src/client/herald_client.ts";

/** A scripted EventSource: the test emits events and errors into it. */
export class FakeSource implements EventSourceLike {
  closed = false;
  readonly #listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: unknown, lastEventId = "") {
    const event = new MessageEvent(type, {
      data: JSON.stringify(data),
      lastEventId,
    });
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
  fail() {
    for (const listener of this.#listeners.get("error") ?? []) {
      listener(new MessageEvent("error"));
    }
  }
}
