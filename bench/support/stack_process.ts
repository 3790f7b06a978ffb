import { startTestStack } from "../../tests/support/test_stack.ts";

/**
 * The local stack (workerd + stand-ins) in a process of its own, so a
 * benchmark's client does not share an event loop with the servers it
 * measures. Prints one JSON line with what a client needs, then runs until
 * its stdin closes.
 */
const stack = await startTestStack({ persist: false });
console.log(JSON.stringify({
  url: stack.url,
  apiKey: stack.apiKey,
  qstashUrl: stack.standIns.qstashUrl,
}));
for await (const _ of Deno.stdin.readable) {
  // Nothing to read: the parent closing stdin is the signal to stop.
}
await stack.close();
