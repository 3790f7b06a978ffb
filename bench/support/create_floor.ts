import { Miniflare } from "miniflare";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";

/**
 * The least a create-and-notify can cost in workerd: a bare Worker (no
 * framework, no validation, no auth, no log, no client library) doing the
 * I/O Herald's `POST /v1/notifications` to one user does, in the same
 * order — the floor bench/create.ts measures Herald against:
 *
 * 1. one libSQL batch over Hrana HTTP, as @libsql/client sends it (BEGIN,
 *    the notification, its audience, its outbox row, the user's unread
 *    count, COMMIT), into Herald's own tables;
 * 2. then at once one shard RPC (a Durable Object, SQLite-backed, appending
 *    the notification and the count event to its log) and one Redis call
 *    (a pipeline INCR of the user's count version, over Upstash REST);
 * 3. answer 201, and in the background clear the outbox row (one Hrana
 *    execute), as Herald does.
 *
 * The same workerd, compatibility date and flags as Herald (wrangler.toml),
 * the same shard count (16) and placement hash.
 */
const SCRIPT = `
import { DurableObject } from "cloudflare:workers";

export class Shard extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, audience TEXT NOT NULL, key TEXT, event TEXT NOT NULL, data TEXT NOT NULL)",
    );
  }
  publish(items) {
    const results = items.map((item) => {
      const row = this.ctx.storage.sql.exec(
        "INSERT INTO events (audience, key, event, data) VALUES (?, ?, ?, ?) RETURNING seq",
        item.audience, item.key, item.event, item.data,
      ).one();
      return { seq: row.seq, duplicate: false, delivered: 0 };
    });
    return { results };
  }
}

const encoder = new TextEncoder();
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const value = (v) =>
  v === null ? { type: "null" }
  : typeof v === "number" ? { type: "float", value: v }
  : { type: "text", value: v };
const stmt = (sql, args = []) =>
  ({ sql, args: args.map(value), named_args: [], want_rows: true });
const ok = (step) => ({ type: "ok", step });

async function hrana(env, requests) {
  const headers = { "content-type": "application/json" };
  if (env.LIBSQL_AUTH_TOKEN) headers.authorization = "Bearer " + env.LIBSQL_AUTH_TOKEN;
  const res = await fetch(env.LIBSQL_URL.replace(/\\/$/, "") + "/v2/pipeline", {
    method: "POST",
    headers,
    body: JSON.stringify({ baton: null, requests: [...requests, { type: "close" }] }),
  });
  if (!res.ok) throw new Error("libSQL answered " + res.status);
  const body = await res.json();
  for (const r of body.results) if (r.type !== "ok") throw new Error("libSQL: " + JSON.stringify(r));
  return body.results;
}

export default {
  async fetch(request, env, ctx) {
    const input = await request.json();
    const now = Date.now();
    const id = "ntf_" + now.toString(36) + crypto.randomUUID().replaceAll("-", "").slice(0, 16);
    const audience = "user:" + input.userId;
    const exists = "exists (select 1 from notifications where id = ?)";
    const steps = [
      stmt("BEGIN DEFERRED"),
      stmt(
        "insert into notifications (id, type, title, body, severity, data, source, idempotency_key, request_hash, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
        [id, input.type, input.title, input.body, "medium", null, "api", null, null, now],
      ),
      stmt(
        "insert into notification_audiences (notification_id, audience, created_at) select ?, ?, ? where " + exists,
        [id, audience, now, id],
      ),
      stmt(
        "insert into fanout_outbox (notification_id, attempts, next_attempt_at, created_at) select ?, 0, ?, ? where " + exists,
        [id, now + 30000, now, id],
      ),
      stmt(
        "select count(*) from notification_audiences a where a.audience = ? and not exists (select 1 from notification_reads r where r.user_id = ? and r.notification_id = a.notification_id)",
        [audience, input.userId],
      ),
      stmt("COMMIT"),
      stmt("ROLLBACK"),
    ].map((s, i, all) => ({
      stmt: s,
      condition: i === 0 ? undefined
        : i === all.length - 1 ? { type: "not", cond: ok(i - 1) }
        : ok(i - 1),
    }));
    const [batch] = await hrana(env, [{ type: "batch", batch: { steps } }]);
    const counted = batch.response.result.step_results[4];
    if (!counted) throw new Error("libSQL: the batch did not commit");
    const unread = Number(counted.rows[0][0].value);
    const view = {
      id, type: input.type, title: input.title, body: input.body,
      severity: "medium", data: null, createdAt: new Date(now).toISOString(), read: false,
    };
    const shard = env.SHARD.get(env.SHARD.idFromName("shard:" + (fnv1a(input.userId) % 16)));
    const [published] = await Promise.all([
      shard.publish([
        { audience, key: id, event: "notification", data: JSON.stringify(view) },
        { audience, key: null, event: "count", data: JSON.stringify({ unread }) },
      ]),
      fetch(env.UPSTASH_REDIS_REST_URL.replace(/\\/$/, "") + "/pipeline", {
        method: "POST",
        headers: {
          authorization: "Bearer " + env.UPSTASH_REDIS_REST_TOKEN,
          "content-type": "application/json",
        },
        body: JSON.stringify([["INCR", "floor:v:" + audience]]),
      }).then(async (res) => {
        if (!res.ok) throw new Error("Redis answered " + res.status);
        return await res.json();
      }),
    ]);
    if (published.results.length !== 2) throw new Error("the shard answered short");
    ctx.waitUntil(hrana(env, [{
      type: "execute",
      stmt: stmt("delete from fanout_outbox where notification_id = ?", [id]),
    }]));
    return Response.json({ created: true, notification: view }, { status: 201 });
  },
};
`;

const wranglerSchema = z.object({
  compatibility_date: z.string(),
  compatibility_flags: z.array(z.string()).default([]),
});

export interface CreateFloor {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the floor Worker reaching the stand-ins whose env is given
 * (LIBSQL_URL, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN; Herald's
 * tables must be migrated there).
 */
export async function startCreateFloor(
  standInsEnv: Record<string, string>,
): Promise<CreateFloor> {
  const wrangler = wranglerSchema.parse(
    parseToml(
      await Deno.readTextFile(new URL("../../wrangler.toml", import.meta.url)),
    ),
  );
  const bindings: Record<string, string> = {};
  for (
    const key of [
      "LIBSQL_URL",
      "LIBSQL_AUTH_TOKEN",
      "UPSTASH_REDIS_REST_URL",
      "UPSTASH_REDIS_REST_TOKEN",
    ]
  ) {
    const value = standInsEnv[key];
    if (value !== undefined) bindings[key] = value;
  }
  const mf = new Miniflare({
    modules: true,
    script: SCRIPT,
    compatibilityDate: wrangler.compatibility_date,
    compatibilityFlags: wrangler.compatibility_flags,
    durableObjects: { SHARD: { className: "Shard", useSQLite: true } },
    bindings,
    host: "127.0.0.1",
    // Bound by workerd and reported back: no port is guessed up front.
    port: 0,
  });
  const url = await mf.ready;
  return {
    url: url.href.replace(/\/$/, ""),
    close: () => mf.dispose(),
  };
}
