/**
 * When a notification is pushed (Web Push) besides the inbox and the live
 * stream: `off` never; `offline` only to a user no live connection of whom
 * took it; `always` as well as live.
 */
export const PUSH_POLICIES = ["off", "offline", "always"] as const;
export type PushPolicy = (typeof PUSH_POLICIES)[number];

/**
 * A user's policy for one notification. The type's policy (a catalogue
 * type's `channels.push`, or an ad hoc notification's `push`) is the
 * operator's; the user's own say, per type and then overall, switches it
 * on or off. Precedence (README, Web Push):
 *
 * 1. a critical type is pushed as its type says, whatever the user said
 *    (nobody switches a critical type off);
 * 2. a user's `channels.push: false` (overall) switches every other push
 *    off;
 * 3. the user's `types.<id>.channels.push`: false is off; true on a type
 *    whose policy is `off` is `offline` (the least intrusive on);
 * 4. otherwise the type's policy.
 *
 * `userType` is null when the user never chose (ad hoc notifications,
 * which have no per-type preference, too).
 */
export function pushPolicyFor(o: {
  type: PushPolicy;
  critical: boolean;
  userPush: boolean;
  userType: boolean | null;
}): PushPolicy {
  if (o.critical) return o.type;
  if (!o.userPush || o.userType === false) return "off";
  if (o.userType === true && o.type === "off") return "offline";
  return o.type;
}

/** Whether one user is pushed, given how many live connections took it. */
export function pushes(policy: PushPolicy, reachedLive: number): boolean {
  return policy === "always" || (policy === "offline" && reachedLive === 0);
}
