import { Client, QstashError, type Schedule } from "@upstash/qstash";
import { z } from "zod";
import {
  type HeldScheduleInfo,
  type MessageSpec,
  SchedulerError,
  type SchedulerPort,
  type ScheduleSpec,
} from "../ports/scheduler.ts";

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
    retries: spec.retry?.retries ?? DELIVERY_RETRIES,
    retryDelay: spec.retry?.delay,
    notBefore: spec.notBefore === undefined
      ? undefined
      : Math.ceil(spec.notBefore / 1000),
    deduplicationId: spec.deduplicationId,
    flowControl: spec.flowControl,
    label: spec.label,
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

  /**
   * Reading or deleting one schedule, where a 404 is an expected answer
   * (drift checks, deletes of what is gone): the SDK would print
   * "[Upstash QStash] … failed with status 404" for each, with the schedule
   * id (a user's, reversible) in the URL, so these two go direct.
   */
  const scheduleRequest = async (
    method: "GET" | "DELETE",
    id: string,
    what: string,
  ): Promise<Response> => {
    const url = `${opts.url}/v2/schedules/${encodeURIComponent(id)}`;
    const attempts = (opts.retries ?? 1) + 1;
    for (let attempt = 1;; attempt++) {
      try {
        return await fetch(url, {
          method,
          headers: { authorization: `Bearer ${opts.token}` },
        });
      } catch {
        if (attempt >= attempts) {
          throw new SchedulerError(`QStash could not ${what} (no answer)`);
        }
        await new Promise((r) => setTimeout(r, 50 * 2 ** (attempt - 1)));
      }
    }
  };

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
    async cancelLabelled(labels: readonly string[]) {
      // An empty filter would cancel every message QStash holds.
      if (labels.length === 0) return 0;
      const { cancelled } = await call(
        "cancel messages",
        () => client.messages.cancel({ filter: { label: [...labels] } }),
      );
      return cancelled;
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
      // Gone already is done: a 404 here is an answer, not a failure.
      const res = await scheduleRequest("DELETE", id, "delete schedule");
      await res.body?.cancel();
      if (!res.ok && res.status !== 404) {
        throw new SchedulerError(
          `QStash could not delete schedule (status ${res.status})`,
          res.status,
        );
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
      const res = await scheduleRequest("GET", id, "get schedule");
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new SchedulerError(
          `QStash could not get schedule (status ${res.status})`,
          res.status,
        );
      }
      const parsed = scheduleBody.safeParse(await res.json().catch(() => null));
      if (!parsed.success) {
        throw new SchedulerError("QStash answered an unreadable schedule");
      }
      return heldInfo(parsed.data);
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

/** The fields Herald reads of `GET /v2/schedules/{id}`. */
const scheduleBody = z.object({
  scheduleId: z.string(),
  cron: z.string(),
  destination: z.string(),
  body: z.string().nullish(),
  isPaused: z.boolean().default(false),
  nextScheduleTime: z.number().nullish(),
});

type ScheduleFields = Pick<Schedule, "scheduleId" | "cron" | "destination"> & {
  body?: string | null;
  isPaused: boolean;
  nextScheduleTime?: number | null;
};

function heldInfo(s: ScheduleFields): HeldScheduleInfo {
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
