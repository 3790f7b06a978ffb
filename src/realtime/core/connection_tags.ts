import type { Transport } from "../../ports/channels.ts";

/**
 * How a shard finds the connections an event is for without looking at
 * each one: every socket is accepted with tags — its transport, and
 * `<transport>|<audience>` for each audience it holds — and the runtime
 * answers `getWebSockets(tag)` from its own index, even right after waking
 * from hibernation, with no attachment deserialised. The transport is in
 * the tag so that each event is encoded once per transport and each socket
 * gets the bytes it reads.
 *
 * The runtime allows 10 tags of at most 256 bytes (UTF-8) per socket. A
 * connection with more audiences than fit keeps its own user's tag and an
 * overflow tag, and lists its audiences in its attachment, which the shard
 * reads only for overflow sockets.
 */
export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 256;
const UTF8 = new TextEncoder();

/**
 * The tag every socket of a transport carries. Short, since an audience's
 * tag is this prefix and its name within the runtime's 256 bytes; and kept
 * as sockets were first tagged, so those asleep across a deploy are found.
 */
export function transportTag(transport: Transport): string {
  return transport === "websocket" ? "ws" : "sse";
}

export function audienceTag(transport: Transport, audience: string): string {
  return `${transportTag(transport)}|${audience}`;
}

export function overflowTag(transport: Transport): string {
  return `${transportTag(transport)}|*`;
}

export interface Tagging {
  tags: string[];
  /** The audiences kept in the attachment, or null when tags hold them. */
  overflow: string[] | null;
}

/**
 * `audiences` has the connection's own user first. An audience whose tag is
 * longer than the runtime takes (it counts UTF-8 bytes: 124 "é" fit an id's
 * 252 characters but not a tag) is kept in the attachment too, so any name
 * Herald accepts can be live.
 */
export function tagsFor(
  transport: Transport,
  audiences: readonly string[],
): Tagging {
  const [own] = audiences;
  if (own === undefined) throw new Error("A connection needs an audience");
  const fits = (audience: string) =>
    UTF8.encode(audienceTag(transport, audience)).length <= MAX_TAG_LENGTH;
  if (audiences.length + 1 <= MAX_TAGS && audiences.every(fits)) {
    return {
      tags: [
        transportTag(transport),
        ...audiences.map((a) => audienceTag(transport, a)),
      ],
      overflow: null,
    };
  }
  const ownTagged = fits(own);
  return {
    tags: [
      transportTag(transport),
      ...(ownTagged ? [audienceTag(transport, own)] : []),
      overflowTag(transport),
    ],
    overflow: ownTagged ? audiences.slice(1) : [...audiences],
  };
}

/** The audience in a tag, or null for the transport and overflow tags. */
export function audienceOfTag(tag: string): string | null {
  const bar = tag.indexOf("|");
  if (bar < 0) return null;
  const audience = tag.slice(bar + 1);
  return audience === "*" ? null : audience;
}
