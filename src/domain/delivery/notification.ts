import { z } from "zod";
import type { ChannelRef } from "./channel.ts";
import { PUSH_POLICIES } from "../push/push_policy.ts";

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

const name = z.string().trim().min(1).max(200);

/**
 * `POST /v1/notifications`: exactly one target — a user, a list of roles, or
 * a topic — and the content. Unknown fields are refused.
 */
export const createNotificationSchema = z.strictObject({
  userId: name.optional(),
  roles: z.array(name).min(1).max(50).optional(),
  topic: name.optional(),
  type: z.string().trim().min(1).max(100).regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    'Use letters, digits and "._:-" (e.g. "orders.new")',
  ),
  title: z.string().trim().min(1).max(200),
  body: z.string().max(4000).default(""),
  severity: z.enum(SEVERITIES).default("medium"),
  data: z.record(z.string(), z.unknown()).optional(),
  // Web Push for an ad hoc type (not in the catalogue); a catalogue type's
  // own `channels.push` decides for it.
  push: z.enum(PUSH_POLICIES).optional(),
}).superRefine((input, ctx) => {
  const targets = [input.userId, input.roles, input.topic]
    .filter((t) => t !== undefined).length;
  if (targets !== 1) {
    ctx.addIssue({
      code: "custom",
      path: ["userId"],
      message: "Give exactly one target: userId, roles or topic",
    });
  }
});

export type CreateNotificationInput = z.output<typeof createNotificationSchema>;

/** The channels (and inbox audiences) a notification goes to. */
export function audiencesOf(input: CreateNotificationInput): ChannelRef[] {
  if (input.userId !== undefined) return [{ kind: "user", name: input.userId }];
  if (input.roles !== undefined) {
    return [...new Set(input.roles)].map((role) => ({
      kind: "role",
      name: role,
    }));
  }
  return [{ kind: "topic", name: input.topic ?? "" }];
}

/** The shape every API response and SSE `notification` event carries. */
export interface NotificationView {
  id: string;
  type: string;
  title: string;
  body: string;
  severity: Severity;
  data: Record<string, unknown> | null;
  createdAt: string;
  readAt: string | null;
}
