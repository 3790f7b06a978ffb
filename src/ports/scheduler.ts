/**
 * What Herald needs from a distributed cron: upsert a schedule under a
 * deterministic id, delete it, list what is held, pause/resume. QStash is the
 * real implementation (`qstash_scheduler.ts`).
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
}

export interface SchedulerPort {
  /** One delayed or immediate message (a deferred occurrence, a job run). */
  publishMessage(spec: MessageSpec): Promise<{ messageId: string }>;
  upsertSchedule(spec: ScheduleSpec): Promise<void>;
  /** Deleting a schedule that is already gone succeeds. */
  deleteSchedule(id: string): Promise<void>;
  listSchedules(): Promise<HeldScheduleInfo[]>;
  ping(signal: AbortSignal): Promise<void>;
}

/** Raised when the scheduler could not be reached or refused a call. */
export class SchedulerError extends Error {
  override name = "SchedulerError";
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}
