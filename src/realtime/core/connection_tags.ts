import type { Transport } from "./shard_core.ts";

/**
 * How a shard finds the connections an event is for without looking at
 * each one: every socket is accepted with tags — its transport, and
 * `<transport>|<audience>` for each audience it holds — and the runtime
 * answers `getWebSockets(tag)` from its own index, even right after waking
 * from hibernation, with no attachment deserialised. The transport is in
 * the tag so that each event is encoded once per transport and each socket
 * gets the bytes it reads.
 *
 * The runtime allows 10 tags of at most 256 characters per socket. A
 * connection with more audiences than fit keeps its own user's tag and an
 * overflow tag, and lists its audiences in its attachment, which the shard
 * reads only for overflow sockets.
 */
export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 256;

export function audienceTag(transport: Transport, audience: string): string {
  return `${transport}|${audience}`;
}

export function overflowTag(transport: Transport): string {
  return `${transport}|*`;
}

export interface Tagging {
  tags: string[];
  /** The audiences kept in the attachment, or null when tags hold them. */
  overflow: string[] | null;
}

/** `audiences` has the connection's own user first. */
export function tagsFor(
  transport: Transport,
  audiences: readonly string[],
): Tagging {
  const [own] = audiences;
  if (own === undefined) throw new Error("A connection needs an audience");
  if (audiences.length + 1 <= MAX_TAGS) {
    return {
      tags: [transport, ...audiences.map((a) => audienceTag(transport, a))],
      overflow: null,
    };
  }
  return {
    tags: [transport, audienceTag(transport, own), overflowTag(transport)],
    overflow: audiences.slice(1),
  };
}

/** The audience in a tag, or null for the transport and overflow tags. */
export function audienceOfTag(tag: string): string | null {
  const bar = tag.indexOf("|");
  if (bar < 0) return null;
  const audience = tag.slice(bar + 1);
  return audience === "*" ? null : audience;
}

/** The user id in a connection's own audience (`user:<id>`). */
export function userOfAudience(audience: string): string {
  return audience.slice(audience.indexOf(":") + 1);
}
