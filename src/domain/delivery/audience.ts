/** Who an event or notification is for: a user, a role or a topic. */
export type ChannelKind = "user" | "role" | "topic";

export interface ChannelRef {
  kind: ChannelKind;
  name: string;
}

/**
 * The audience codec, the one place an audience is spelled: `<kind>:<name>`
 * ("user:ada", "role:ops", "topic:release"), as notifications store it,
 * memberships hold it, caches key on it and shards tag sockets with it.
 * Every site formats and reads audiences through these functions.
 */
const SEPARATOR = ":";
const USER_PREFIX = `user${SEPARATOR}`;

export function formatAudience(ref: ChannelRef): string {
  return `${ref.kind}${SEPARATOR}${ref.name}`;
}

/** A user's own audience: `user:<id>`. */
export function userAudience(userId: string): string {
  return USER_PREFIX + userId;
}

/** The ref an audience names; one of no known kind is a bug, and throws. */
export function parseAudience(audience: string): ChannelRef {
  const colon = audience.indexOf(SEPARATOR);
  const kind = audience.slice(0, colon);
  if (colon < 0 || (kind !== "user" && kind !== "role" && kind !== "topic")) {
    throw new Error(`Unknown audience kind in "${audience}"`);
  }
  return { kind, name: audience.slice(colon + 1) };
}

/** The user id of a user's audience; null for a role's or topic's. */
export function userOfAudience(audience: string): string | null {
  return audience.startsWith(USER_PREFIX)
    ? audience.slice(USER_PREFIX.length)
    : null;
}

/** The users among audiences, and the rest (roles and topics). */
export function splitAudiences(
  audiences: readonly string[],
): { users: string[]; broadcast: string[] } {
  const users: string[] = [];
  const broadcast: string[] = [];
  for (const audience of audiences) {
    const user = userOfAudience(audience);
    if (user === null) broadcast.push(audience);
    else users.push(user);
  }
  return { users, broadcast };
}
