import { z } from "zod";
import type { ChannelRef } from "./audience.ts";
import { PUSH_POLICIES } from "../push/push_policy.ts";
import { IF_PAST, parseDeliverAt } from "./deliver_at.ts";
import { parseExpiry } from "./expiry.ts";

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

const name = z.string().trim().min(1).max(200);

/** Users a request can name at once. */
const MAX_USER_IDS = 1_000;

/**
 * `POST /v1/notifications`: exactly one target — a user, a list of users,
 * a list of roles, or a topic — and the content; optionally when to
 * deliver it (deliver_at.ts). Unknown fields are refused.
 */
export const createNotificationSchema = z.strictObject({
  userId: name.optional(),
  userIds: z.array(name).min(1).max(MAX_USER_IDS).optional(),
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
  deliverAt: z.string().max(40).refine((v) => parseDeliverAt(v) !== null, {
    error: 'Use a local time "2026-12-08T09:00" (each recipient\'s zone) ' +
      'or an instant with "Z" or an offset ("2026-12-08T09:00:00+01:00")',
  }).optional(),
  ifPast: z.enum(IF_PAST).optional(),
  digestKey: z.string().trim().min(1).max(200).optional(),
  expiresAt: z.string().max(40).refine((v) => parseExpiry(v) !== null, {
    error: 'Use a duration from "1m" to "365d" ("8h"; s, m, h, d) or an ' +
      'instant with "Z" or an offset',
  }).optional(),
}).superRefine((input, ctx) => {
  const targets = [input.userId, input.userIds, input.roles, input.topic]
    .filter((t) => t !== undefined).length;
  if (targets !== 1) {
    ctx.addIssue({
      code: "custom",
      path: ["userId"],
      message: "Give exactly one target: userId, userIds, roles or topic",
    });
  }
  if (input.ifPast !== undefined && input.deliverAt === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["ifPast"],
      message: "ifPast only goes with deliverAt",
    });
  }
  if (
    input.digestKey !== undefined &&
    (input.userId === undefined || input.deliverAt !== undefined)
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["digestKey"],
      message: "A digest is one user's: digestKey goes with userId, " +
        "without deliverAt",
    });
  }
  const when = input.deliverAt === undefined
    ? null
    : parseDeliverAt(input.deliverAt);
  if (
    when?.kind === "local" &&
    (input.roles !== undefined || input.topic !== undefined)
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["deliverAt"],
      message: "Roles and topics find their members when delivered, so " +
        'their local times are unknown: use an instant (with "Z" or an ' +
        "offset) for roles and topics",
    });
  }
});

export type CreateNotificationInput = z.output<typeof createNotificationSchema>;

/** The channels (and inbox audiences) a notification goes to. */
export function audiencesOf(input: CreateNotificationInput): ChannelRef[] {
  if (input.userId !== undefined) return [{ kind: "user", name: input.userId }];
  if (input.userIds !== undefined) {
    return [...new Set(input.userIds)].map((u) => ({ kind: "user", name: u }));
  }
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
  /** Only on a notification that expires. */
  expiresAt?: string;
  /**
   * Only for the operator (the admin key's inbox read): live connections
   * its publish was written to, and pushes a push service accepted.
   */
  channels?: ChannelCounts;
}

/** How far a notification went, per channel. */
export interface ChannelCounts {
  live: number;
  push: number;
}
