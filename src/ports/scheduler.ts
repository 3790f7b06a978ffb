/**
 * What Herald needs from a distributed cron: upsert a schedule under a
 * deterministic id, delete it, list what is held, pause/resume. QStash is the
 * real implementation (`adapters/qstash_scheduler.ts`).
 */
export interface ScheduleSpec {
  id: string;
  cron: string;
  destination: string;
  body: string;
}

export interface HeldScheduleInfo extends ScheduleSpec {
  paused: boolean;
  nextRun: number | null;
}

export interface MessageSpec {
  destination: string;
  body: string;
  /** Deliver no earlier than this instant (ms). */
  notBefore?: number;
  /** QStash drops a second message with the same id. */
  deduplicationId?: string;
  /** At most `parallelism` messages sharing `key` are delivered at once. */
  flowControl?: { key: string; parallelism: number };
  /**
   * Its own retry schedule instead of the default: retries after the first
   * attempt, and QStash's delay expression (ms, over `retried`).
   */
  retry?: { retries: number; delay: string };
  /** A name it can be found and cancelled by (`cancelLabelled`). */
  label?: string;
}

export interface SchedulerPort {
  /** One delayed or immediate message (a deferred occurrence, a job run). */
  publishMessage(spec: MessageSpec): Promise<{ messageId: string }>;
  /**
   * Up to 100 messages in one call (QStash's batch endpoint). A message
   * whose deduplication id was seen comes back with `deduplicated: true`.
   */
  publishBatch(
    specs: readonly MessageSpec[],
  ): Promise<{ messageId: string; deduplicated: boolean }[]>;
  /**
   * Cancels every message not yet delivered that carries any of `labels`
   * (up to 50), in one call; answers how many. A message being delivered
   * right now may still arrive: its handler decides whether it counts.
   */
  cancelLabelled(labels: readonly string[]): Promise<number>;
  /** Creates or overwrites (unpaused, as QStash does) a schedule. */
  upsertSchedule(spec: ScheduleSpec): Promise<void>;
  /** Deleting a schedule that is already gone succeeds. */
  deleteSchedule(id: string): Promise<void>;
  /** Pausing or resuming a schedule that is gone is a SchedulerError (404). */
  pauseSchedule(id: string): Promise<void>;
  resumeSchedule(id: string): Promise<void>;
  /** One schedule, or null when QStash does not hold it. */
  getSchedule(id: string): Promise<HeldScheduleInfo | null>;
  listSchedules(): Promise<HeldScheduleInfo[]>;
  /**
   * When QStash made a message — for a schedule's message, when the
   * schedule fired — or null when QStash no longer has it. QStash keeps a
   * message while it is being delivered or retried, which is when Herald
   * asks: that is how a late delivery is named by its firing.
   */
  messageCreatedAt(messageId: string): Promise<number | null>;
  ping(signal: AbortSignal): Promise<void>;
}

/** Raised when the scheduler could not be reached or refused a call. */
export class SchedulerError extends Error {
  override name = "SchedulerError";
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}
