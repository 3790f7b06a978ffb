/** Who an event or notification is for: a user, a role or a topic. */
export type ChannelKind = "user" | "role" | "topic";

export interface ChannelRef {
  kind: ChannelKind;
  name: string;
}

/**
 * The one placement function: which channel (Durable Object name) serves a
 * ref. Callers never build names themselves, so channels can later be
 * sharded (many users per object) by changing only this.
 */
export function channelName(ref: ChannelRef): string {
  return `${ref.kind}:${ref.name}`;
}
