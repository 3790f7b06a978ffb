/**
 * Herald's WebSocket messages: each event is one text message, a JSON
 * object with the same three things an SSE event carries —
 *
 *   {"id":"<cursor>","event":"<name>","data":<json>}
 *
 * — the same ids (resume with `?lastEventId=`), names and payloads. Built by
 * concatenation: `dataJson` is already JSON, so nothing is parsed or
 * serialised again per event.
 *
 * Heartbeats: the client sends `PING` every `heartbeatMs` (the `connected`
 * event says how often) and the server answers `HEARTBEAT`. The client
 * drives it because a Durable Object that ran a timer could never
 * hibernate; the runtime answers the ping itself (an auto-response) without
 * waking the object, and remembers when, which is how dead sockets are found.
 */

export const PING = '{"event":"ping"}';
export const HEARTBEAT_MESSAGE = '{"id":null,"event":"hb","data":null}';

export function wsMessage(event: string, dataJson: string, id: string): string {
  return `{"id":${JSON.stringify(id)},"event":${
    JSON.stringify(event)
  },"data":${dataJson}}`;
}
