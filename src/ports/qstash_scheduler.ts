import { Client, QstashError, type Schedule } from "@upstash/qstash";
import {
  type HeldScheduleInfo,
  type MessageSpec,
  SchedulerError,
  type SchedulerPort,
  type ScheduleSpec,
} from "./scheduler.ts";

export interface QStashSchedulerOptions {
  url: string;
  token: string;
  /** Extra attempts on network errors; reconcile has its own retries. */
  retries?: number;
}

/**
 * Delivery retries QStash makes for each message. Its backoff is
 * min(1 day, e^(2.5·n)) s, so the fifth retry comes about 30 hours after the
 * first attempt: an outage of most of a day is bridged by QStash alone, and
 * the late delivery still names the occurrence it fired for (its message's
 * creation).
 */
const DELIVERY_RETRIES = 5;

/** One message as QStash's publish and batch calls both take it. */
function messageRequest(spec: MessageSpec) {
  return {
    url: spec.destination,
    body: spec.body,
    headers: { "Content-Type": "application/json" },
    retries: DELIVERY_RETRIES,
    notBefore: spec.notBefore === undefined
      ? undefined
      : Math.ceil(spec.notBefore / 1000),
    deduplicationId: spec.deduplicationId,
    flowControl: spec.flowControl,
  };
}

export function createQStashScheduler(
  opts: QStashSchedulerOptions,
): SchedulerPort {
  const client = new Client({
    baseUrl: opts.url,
    token: opts.token,
    // devMode would try to download and spawn QStash's dev binary.
    devMode: false,
    enableTelemetry: false,
    retry: opts.retries === 0 ? false : {
      retries: opts.retries ?? 1,
      backoff: (n) => 50 * 2 ** n,
    },
  });

  return {
    async publishMessage(spec: MessageSpec) {
      const result = await call(
        "publish",
        () => client.publish(messageRequest(spec)),
      );
      return { messageId: result.messageId };
    },
    async publishBatch(specs: readonly MessageSpec[]) {
      if (specs.length === 0) return [];
      const results = await call(
        "publish a batch",
        () => client.batch(specs.map(messageRequest)),
      );
      return results.map((result) => ({
        messageId: "messageId" in result ? result.messageId : "",
        deduplicated: "deduplicated" in result && result.deduplicated === true,
      }));
    },
    async upsertSchedule(spec: ScheduleSpec) {
      await call("create schedule", () =>
        client.schedules.create({
          scheduleId: spec.id,
          destination: spec.destination,
          cron: spec.cron,
          body: spec.body,
          headers: { "Content-Type": "application/json" },
          retries: DELIVERY_RETRIES,
        }));
    },
    async deleteSchedule(id: string) {
      try {
        await client.schedules.delete(id);
      } catch (error) {
        if (statusOf(error) === 404) return;
        throw toSchedulerError("delete schedule", error);
      }
    },
    async pauseSchedule(id: string) {
      await call(
        "pause schedule",
        () => client.schedules.pause({ schedule: id }),
      );
    },
    async resumeSchedule(id: string) {
      await call(
        "resume schedule",
        () => client.schedules.resume({ schedule: id }),
      );
    },
    async getSchedule(id: string): Promise<HeldScheduleInfo | null> {
      try {
        return heldInfo(await client.schedules.get(id));
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw toSchedulerError("get schedule", error);
      }
    },
    async messageCreatedAt(messageId: string): Promise<number | null> {
      try {
        return (await client.messages.get(messageId)).createdAt;
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw toSchedulerError("get a message", error);
      }
    },
    async listSchedules(): Promise<HeldScheduleInfo[]> {
      const list = await call("list schedules", () => client.schedules.list());
      return list.map(heldInfo);
    },
    async ping(signal: AbortSignal) {
      // GET /v2/keys is cheap and exists on QStash and its dev servers.
      const res = await fetch(`${opts.url}/v2/keys`, {
        headers: { authorization: `Bearer ${opts.token}` },
        signal,
      });
      await res.body?.cancel();
      if (!res.ok) {
        throw new SchedulerError(`QStash answered ${res.status}`, res.status);
      }
    },
  };
}

function heldInfo(s: Schedule): HeldScheduleInfo {
  return {
    id: s.scheduleId,
    cron: s.cron,
    destination: s.destination,
    body: s.body ?? "",
    paused: s.isPaused,
    nextRun: s.nextScheduleTime ?? null,
  };
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toSchedulerError(what, error);
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof QstashError ? error.status : undefined;
}

function toSchedulerError(what: string, error: unknown): SchedulerError {
  const status = statusOf(error);
  const reason = status ? `status ${status}` : "no answer";
  return new SchedulerError(`QStash could not ${what} (${reason})`, status);
}
