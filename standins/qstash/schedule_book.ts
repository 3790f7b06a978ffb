import { notFound } from "./api_error.ts";
import { type CronSpec, parseCronSpec } from "./cron_spec.ts";
import { newScheduleId } from "./ids.ts";
import { newMessage } from "./message_queue.ts";
import type { ScheduleDraft } from "./schedule_request.ts";
import type { QStashState } from "./state.ts";
import type { StoredMessage, StoredSchedule } from "./state_model.ts";

/**
 * Schedules: upsert, pause/resume, delete, and turning an occurrence into a
 * message. `nextScheduleTime` is always the next firing after the last one
 * (or after creation/resume), so the dispatcher only compares numbers.
 */
export class ScheduleBook {
  readonly #state: QStashState;
  readonly #specs = new Map<string, CronSpec>();

  constructor(state: QStashState) {
    this.#state = state;
  }

  /** Creates or, for a known `Upstash-Schedule-Id`, overwrites a schedule. */
  upsert(draft: ScheduleDraft, nowMs: number): string {
    const { spec, scheduleId = newScheduleId(), ...plan } = draft;
    this.#specs.set(draft.cron, spec);
    // An upsert replaces the schedule as a whole (QStash: "overwritten"),
    // so it starts unpaused with fresh bookkeeping.
    const schedule: StoredSchedule = {
      ...plan,
      scheduleId,
      createdAt: nowMs,
      isPaused: false,
      lastScheduleStates: {},
    };
    const next = spec.next(nowMs);
    if (next !== undefined) schedule.nextScheduleTime = next;
    this.#state.schedules.set(scheduleId, schedule);
    this.#state.changed();
    return scheduleId;
  }

  get(scheduleId: string): StoredSchedule {
    const schedule = this.#state.schedules.get(scheduleId);
    if (!schedule) throw notFound(`schedule ${scheduleId} not found`);
    return schedule;
  }

  list(): StoredSchedule[] {
    return [...this.#state.schedules.values()];
  }

  delete(scheduleId: string): void {
    this.get(scheduleId);
    this.#state.schedules.delete(scheduleId);
    this.#state.changed();
  }

  setPaused(scheduleId: string, paused: boolean, nowMs: number): void {
    const schedule = this.get(scheduleId);
    if (schedule.isPaused === paused) return;
    schedule.isPaused = paused;
    // Occurrences missed while paused are not made up on resume.
    if (!paused) this.#realign(schedule, nowMs);
    this.#state.changed();
  }

  /** The active schedule with the earliest firing at or before `untilMs`. */
  nextDue(untilMs: number): StoredSchedule | undefined {
    let best: StoredSchedule | undefined;
    for (const schedule of this.#state.schedules.values()) {
      const at = schedule.nextScheduleTime;
      if (schedule.isPaused || at === undefined || at > untilMs) continue;
      if (!best || at < (best.nextScheduleTime ?? Infinity)) best = schedule;
    }
    return best;
  }

  /**
   * Creates the message for an occurrence at `atMs`. A regular firing
   * (`advance`) also moves `nextScheduleTime` on; a manual one does not.
   */
  fire(
    schedule: StoredSchedule,
    atMs: number,
    advance: boolean,
  ): StoredMessage {
    const message = newMessage({
      url: schedule.url,
      method: schedule.method,
      header: schedule.header,
      bodyBase64: schedule.bodyBase64,
      maxRetries: schedule.maxRetries,
      callerIp: schedule.callerIp,
      createdAt: atMs,
      notBefore: atMs + (schedule.delayMs ?? 0),
      scheduleId: schedule.scheduleId,
      ...optional(schedule),
    });
    this.#state.messages.set(message.messageId, message);
    schedule.lastScheduleTime = atMs;
    schedule.lastScheduleStates = { [message.messageId]: "IN_PROGRESS" };
    if (advance) this.#realign(schedule, atMs);
    this.#state.changed();
    return message;
  }

  /** Recomputes every active schedule's next firing from `nowMs`. */
  realignAll(nowMs: number): void {
    for (const schedule of this.#state.schedules.values()) {
      this.#realign(schedule, nowMs);
    }
    this.#state.changed();
  }

  #realign(schedule: StoredSchedule, afterMs: number): void {
    const next = this.#spec(schedule.cron)?.next(afterMs);
    if (next === undefined) delete schedule.nextScheduleTime;
    else schedule.nextScheduleTime = next;
  }

  #spec(cron: string): CronSpec | undefined {
    let spec = this.#specs.get(cron);
    if (!spec) {
      const parsed = parseCronSpec(cron);
      if (!parsed.ok) return undefined;
      spec = parsed.spec;
      this.#specs.set(cron, spec);
    }
    return spec;
  }
}

function optional(schedule: StoredSchedule): Partial<StoredMessage> {
  const extra: Partial<StoredMessage> = {};
  if (schedule.retryDelayExpression !== undefined) {
    extra.retryDelayExpression = schedule.retryDelayExpression;
  }
  if (schedule.callback !== undefined) extra.callback = schedule.callback;
  if (schedule.failureCallback !== undefined) {
    extra.failureCallback = schedule.failureCallback;
  }
  if (schedule.timeoutMs !== undefined) extra.timeoutMs = schedule.timeoutMs;
  if (schedule.labels !== undefined) extra.labels = schedule.labels;
  if (schedule.flowControl !== undefined) {
    extra.flowControl = schedule.flowControl;
  }
  return extra;
}
