import {
  type HeldScheduleInfo,
  type MessageSpec,
  SchedulerError,
  type SchedulerPort,
  type ScheduleSpec,
} from "../../src/ports/scheduler.ts";

/** A call the port was asked to make, by method and the id it names. */
export interface SchedulerCall {
  method: Exclude<keyof SchedulerPort, "ping">;
  /** The schedule or message id; the destination for a published message. */
  id: string;
}

/** Which calls fail, how often, and with what. */
export interface SchedulerFault {
  method?: SchedulerCall["method"];
  id?: string;
  /** How many matching calls fail (every one when left out). */
  times?: number;
  /** The SchedulerError's status: 503 unless said. */
  status?: number;
  /** Thrown instead of a SchedulerError (an outage of another part). */
  error?: unknown;
}

/**
 * The scheduler port in memory, as QStash answers it (an upsert overwrites
 * unpaused, a delete of what is gone succeeds, pausing what is gone is a
 * 404), for unit tests of services. Every call is recorded; `fail()` makes
 * chosen calls throw, and a failed call changes nothing. Calls yield once
 * before they answer, so concurrent callers really overlap (`maxInFlight`).
 */
export class MemoryScheduler implements SchedulerPort {
  readonly schedules = new Map<string, HeldScheduleInfo>();
  readonly messages: (MessageSpec & { messageId: string })[] = [];
  readonly calls: SchedulerCall[] = [];
  #faults: SchedulerFault[] = [];
  #inFlight = 0;
  #maxInFlight = 0;
  #nextMessage = 1;

  /** Makes the calls that match `fault` fail, from now on. */
  fail(fault: SchedulerFault = {}): void {
    this.#faults.push({ ...fault });
  }

  /** Every call succeeds again. */
  heal(): void {
    this.#faults = [];
  }

  /** The most calls that were ever under way at once. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Calls made so far with `method` (all when left out), in order. */
  callsOf(method?: SchedulerCall["method"]): string[] {
    return this.calls.filter((c) => !method || c.method === method)
      .map((c) => c.id);
  }

  publishMessage(spec: MessageSpec): Promise<{ messageId: string }> {
    return this.#call(
      { method: "publishMessage", id: spec.destination },
      () => this.#publish(spec),
    );
  }

  async publishBatch(
    specs: readonly MessageSpec[],
  ): Promise<{ messageId: string; deduplicated: boolean }[]> {
    return await this.#call(
      { method: "publishBatch", id: specs.map((s) => s.destination).join() },
      () =>
        specs.map((spec) => {
          const seen = spec.deduplicationId !== undefined &&
            this.messages.find((m) =>
              m.deduplicationId === spec.deduplicationId
            );
          return seen
            ? { messageId: seen.messageId, deduplicated: true }
            : { ...this.#publish(spec), deduplicated: false };
        }),
    );
  }

  /** Drops the messages carrying any of `labels`, as QStash cancels them. */
  cancelLabelled(labels: readonly string[]): Promise<number> {
    return this.#call(
      { method: "cancelLabelled", id: labels.join() },
      () => {
        let cancelled = 0;
        for (let i = this.messages.length - 1; i >= 0; i--) {
          const label = this.messages[i]?.label;
          if (label !== undefined && labels.includes(label)) {
            this.messages.splice(i, 1);
            cancelled++;
          }
        }
        return cancelled;
      },
    );
  }

  upsertSchedule(spec: ScheduleSpec): Promise<void> {
    return this.#call({ method: "upsertSchedule", id: spec.id }, () => {
      this.schedules.set(spec.id, { ...spec, paused: false, nextRun: null });
    });
  }

  deleteSchedule(id: string): Promise<void> {
    return this.#call({ method: "deleteSchedule", id }, () => {
      this.schedules.delete(id);
    });
  }

  pauseSchedule(id: string): Promise<void> {
    return this.#call({ method: "pauseSchedule", id }, () => {
      this.#held(id).paused = true;
    });
  }

  resumeSchedule(id: string): Promise<void> {
    return this.#call({ method: "resumeSchedule", id }, () => {
      this.#held(id).paused = false;
    });
  }

  getSchedule(id: string): Promise<HeldScheduleInfo | null> {
    return this.#call({ method: "getSchedule", id }, () => {
      const held = this.schedules.get(id);
      return held ? { ...held } : null;
    });
  }

  listSchedules(): Promise<HeldScheduleInfo[]> {
    return this.#call(
      { method: "listSchedules", id: "" },
      () => [...this.schedules.values()].map((s) => ({ ...s })),
    );
  }

  messageCreatedAt(messageId: string): Promise<number | null> {
    return this.#call(
      { method: "messageCreatedAt", id: messageId },
      () => null,
    );
  }

  async ping(): Promise<void> {}

  #publish(spec: MessageSpec): { messageId: string } {
    const messageId = `msg_${this.#nextMessage++}`;
    this.messages.push({ ...spec, messageId });
    return { messageId };
  }

  #held(id: string): HeldScheduleInfo {
    const held = this.schedules.get(id);
    if (!held) throw new SchedulerError(`Schedule "${id}" not found`, 404);
    return held;
  }

  async #call<T>(call: SchedulerCall, answer: () => T): Promise<T> {
    this.calls.push(call);
    this.#inFlight++;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    try {
      await Promise.resolve();
      const fault = this.#faults.find((f) =>
        (f.method === undefined || f.method === call.method) &&
        (f.id === undefined || f.id === call.id) &&
        (f.times === undefined || f.times > 0)
      );
      if (fault) {
        if (fault.times !== undefined) fault.times--;
        throw fault.error ??
          new SchedulerError(
            `QStash answered ${fault.status ?? 503}`,
            fault.status ?? 503,
          );
      }
      return answer();
    } finally {
      this.#inFlight--;
    }
  }
}
