import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { vapidKeyPair } from "@herald/dev";
import { bundleModule } from "../scripts/build_client.ts";
import { encodeBase64UrlBytes } from "../src/domain/codecs/base64url.ts";
import { childPids, cpuMs } from "./support/processes.ts";
import { report, summarize } from "./stats.ts";

/**
 * What encrypting and signing one push costs Herald in workerd, against
 * the library's own cost in a bare Worker in the same workerd (the floor):
 * `@block65/webcrypto-web-push`'s `buildPushPayload()` (VAPID headers and
 * RFC 8291 `aes128gcm` encryption), for the same subscription and the same
 * ~400-byte payload. Herald's side is its own code bundled into a Worker
 * (support/push_crypto/herald_entry.ts): `seal` is the encryption and the
 * VAPID token as adapters/web_push_client.ts makes them (the like of the
 * floor), `push` adds what a batch does per push besides (the payload with
 * its action token). Each request does 50 pushes (a batch), one after
 * another; rounds alternate the kinds, and workerd's CPU per push comes
 * from /proc, less the same Worker's empty request (`n=0`) per request.
 * Goal (issue 21): ≤ 1.2× the floor. Env: BENCH_ROUNDS (10),
 * BENCH_REQUESTS (20 a round).
 */
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 10);
const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 20);
const BATCH = 50;
const GOAL = 1.2;

const entry = (name: string) =>
  fileURLToPath(new URL(`./support/push_crypto/${name}`, import.meta.url));
const heraldScript = await bundleModule(entry("herald_entry.ts"));
const floorScript = await bundleModule(entry("floor_entry.ts"));

// A browser's subscription: its P-256 point and 16-byte auth secret. The
// endpoint is never fetched (the library's VAPID headers want https).
const browser = await crypto.subtle.generateKey(
  { name: "ECDH", namedCurve: "P-256" },
  true,
  ["deriveBits"],
) as CryptoKeyPair;
const subscription = {
  endpoint: "https://push.bench.example/push/abcdefghijklmnop",
  expirationTime: null,
  keys: {
    p256dh: encodeBase64UrlBytes(
      new Uint8Array(await crypto.subtle.exportKey("raw", browser.publicKey)),
    ),
    auth: encodeBase64UrlBytes(crypto.getRandomValues(new Uint8Array(16))),
  },
};
const payload = {
  id: "ntf_mbench0000000000000000",
  type: "taskReminder",
  title: "Tasks waiting for you",
  body: "You have open tasks for 2026-12-08: review the quarterly report, " +
    "answer the two threads you were mentioned in, and plan next week.",
  severity: "medium",
  unread: 3,
  url: "/tasks",
  actionToken: "",
  createdAt: "2026-12-08T10:00:00.000Z",
};
const vapid = await vapidKeyPair();
const bindings = {
  SUBSCRIPTION: JSON.stringify(subscription),
  PAYLOAD: JSON.stringify(payload),
  ...vapid,
  VAPID_SUBJECT: "mailto:bench@herald.example",
  JWT_SECRET: crypto.randomUUID(),
};
const wrangler = z.object({
  compatibility_date: z.string(),
  compatibility_flags: z.array(z.string()).default([]),
}).parse(parseToml(
  await Deno.readTextFile(new URL("../wrangler.toml", import.meta.url)),
));
const worker = (name: string, script: string) => ({
  name,
  modules: true,
  script,
  compatibilityDate: wrangler.compatibility_date,
  compatibilityFlags: wrangler.compatibility_flags,
  bindings,
  // Each Worker on a port of its own, bound by workerd and reported back.
  unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
});
const mf = new Miniflare({
  workers: [worker("herald", heraldScript), worker("floor", floorScript)],
});

const KINDS = {
  "herald seal (encryption + VAPID)": { worker: "herald", path: "/seal" },
  "herald push (+ payload, action token)": { worker: "herald", path: "/push" },
  "floor: buildPushPayload": { worker: "floor", path: "/" },
} as const;
type Kind = keyof typeof KINDS;

try {
  await mf.ready;
  const urls = {
    herald: (await mf.unsafeGetDirectURL("herald")).href.replace(/\/$/, ""),
    floor: (await mf.unsafeGetDirectURL("floor")).href.replace(/\/$/, ""),
  };
  const [workerd] = childPids(Deno.pid, "workerd");
  if (workerd === undefined) throw new Error("No workerd process found");

  /** workerd CPU (ms) a request of `n` pushes costs, over REQUESTS requests. */
  const cpuPerRequest = async (kind: Kind, n: number) => {
    const { worker, path } = KINDS[kind];
    const before = cpuMs(workerd);
    for (let i = 0; i < REQUESTS; i++) {
      const res = await fetch(`${urls[worker]}${path}?n=${n}`);
      const body = z.object({ pushes: z.number(), bytes: z.number() })
        .parse(await res.json());
      if (body.pushes !== n || body.bytes !== n * 4096) {
        throw new Error(`${kind}: ${JSON.stringify(body)}`);
      }
    }
    return (cpuMs(workerd) - before) / REQUESTS;
  };
  const kinds = Object.keys(KINDS) as Kind[];
  for (const kind of kinds) await cpuPerRequest(kind, BATCH); // warm-up
  const perPush: Record<string, number[]> = {};
  const empty: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of kinds) {
      const idle = await cpuPerRequest(kind, 0);
      const full = await cpuPerRequest(kind, BATCH);
      (empty[kind] ??= []).push(idle);
      (perPush[kind] ??= []).push((full - idle) / BATCH);
    }
  }
  const median = (xs: number[] | undefined) => summarize(xs ?? []).p50;
  const floor = median(perPush["floor: buildPushPayload"]);
  const byKind = Object.fromEntries(kinds.map((kind) => {
    const ms = median(perPush[kind]);
    return [kind, {
      workerdCpuMsPerPush: Math.round(ms * 1000) / 1000,
      toFloor: Math.round(ms / floor * 100) / 100,
      emptyRequestCpuMs: median(empty[kind]),
    }];
  }));
  for (const [kind, f] of Object.entries(byKind)) {
    console.error(
      `${kind}: ${f.workerdCpuMsPerPush} ms CPU a push, ${f.toFloor}× the floor`,
    );
  }
  await report("push_crypto", {
    rounds: ROUNDS,
    requestsPerRound: REQUESTS,
    pushesPerRequest: BATCH,
    goal: `≤ ${GOAL}× the floor's workerd CPU a push`,
    byKind,
    loadAverage: Deno.loadavg(),
  });
} finally {
  await mf.dispose();
}
