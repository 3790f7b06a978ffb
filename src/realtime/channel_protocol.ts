import { z } from "zod";

/**
 * What the Worker and the channel objects say to each other over
 * `stub.fetch`: paths, query parameters and the JSON answers, parsed with
 * zod on both sides (an object and a Worker of different versions meet
 * during a deploy). Options travel with each request because the runtime,
 * not our code, constructs the objects: the Worker's configuration is the
 * one source of truth.
 */

/** Any origin works for a stub; this one only names the hop in traces. */
export const CHANNEL_ORIGIN = "https://channel.herald.internal";
export const DIRECTORY_ORIGIN = "https://directory.herald.internal";
/** The directory is one object (it can be sharded by name later). */
export const DIRECTORY_NAME = "directory";
/** The binding `ChannelObject` reports through (see wrangler.toml). */
export const DIRECTORY_BINDING = "REALTIME_DIRECTORY";

const count = z.coerce.number().int().min(0);
const positive = z.coerce.number().int().min(1);

export const publishQuery = z.object({
  channel: z.string().min(1),
  event: z.string().min(1),
  key: z.string().min(1).optional(),
  logSize: positive,
});

export const subscribeQuery = z.object({
  channel: z.string().min(1),
  cursor: z.string().optional(),
  heartbeatMs: positive,
  retryMs: count,
  maxSubscribers: positive,
  maxBufferedBytes: positive,
  refreshMs: positive,
});

export const publishResult = z.object({
  seq: count,
  duplicate: z.boolean(),
  delivered: count,
});

export const channelStatus = z.object({
  name: z.string(),
  subscribers: count,
  logSize: count,
  lastSeq: count,
});

export const directoryList = z.object({ channels: z.array(channelStatus) });

/** `path?k=v…` on an internal origin, skipping undefined values. */
export function internalUrl(
  origin: string,
  path: string,
  query: Record<string, string | number | undefined>,
): string {
  const url = new URL(path, origin);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.href;
}

/** The query of an internal request, parsed; null when it does not fit. */
export function readQuery<T>(
  request: Request,
  schema: z.ZodType<T>,
): T | null {
  const query = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = schema.safeParse(query);
  return parsed.success ? parsed.data : null;
}
