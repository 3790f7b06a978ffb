/**
 * `deno task bench`: builds the Worker, then runs each benchmark in its own
 * process (so one's servers never skew another's figures). Figures land in
 * bench/results/*.json; README quotes them.
 */
const BENCHES = [
  "stack.ts",
  "reconcile.ts",
  "restart.ts",
  "fanout_job.ts",
  "create.ts",
  "latency.ts",
  "fanout.ts",
  "memory.ts",
  "cost.ts",
  "profile.ts",
  "dev_burst.ts",
  "qstash_faults.ts",
  "libsql_outage.ts",
  "webhook_read.ts",
  "hostile_body.ts",
  "badge_latency.ts",
  "deliver_at.ts",
  "digest_join.ts",
  "upcoming.ts",
  "console_tti.ts",
  "push_crypto.ts",
  "push_slot.ts",
];
const only = Deno.args.length ? Deno.args : BENCHES;

const build = await new Deno.Command(Deno.execPath(), {
  args: ["task", "build"],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!build.success) Deno.exit(1);

for (const bench of only) {
  console.log(`\n== bench/${bench}`);
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(bench, import.meta.url).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) Deno.exit(result.code || 1);
}
