import { z } from "zod";
import { LOCAL_TIME_PATTERN } from "./local_time.ts";

const localTime = z.string().regex(LOCAL_TIME_PATTERN);
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/**
 * What Herald puts in the bodies of its own schedules and messages, parsed
 * on the way back in (after the signature check) — never cast.
 */
export const callbackBodySchema = z.discriminatedUnion("kind", [
  // A user's recurring schedule fired.
  z.object({
    kind: z.literal("user-schedule"),
    userId: z.string().min(1),
    type: z.string().min(1),
    localTime,
  }),
  // An occurrence held back by quiet hours, now due.
  z.object({
    kind: z.literal("deferred"),
    userId: z.string().min(1),
    type: z.string().min(1),
    localDate,
    localTime,
  }),
]);

export type CallbackBody = z.infer<typeof callbackBodySchema>;

/** A stable JSON body (key order fixed) for a deferred occurrence. */
export function deferredBody(o: {
  userId: string;
  type: string;
  localDate: string;
  localTime: string;
}): string {
  return JSON.stringify({
    kind: "deferred",
    userId: o.userId,
    type: o.type,
    localDate: o.localDate,
    localTime: o.localTime,
  });
}
