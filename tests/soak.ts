/**
 * `deno task test:soak [runs]` (default 20): runs `deno task test` again
 * and again, stopping at the first failure to print which tests failed and
 * where the whole output is. At the end it prints how many runs were green
 * and the suite's wall time (min / median / max). Flaky tests keep work
 * from landing; this is how one is found before CI finds it.
 */
const runs = Number(Deno.args[0] ?? 20);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`Usage: deno task test:soak [runs], got "${Deno.args[0]}"`);
  Deno.exit(2);
}

const seconds: number[] = [];
for (let run = 1; run <= runs; run++) {
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "test"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const took = (performance.now() - started) / 1000;
  const text = new TextDecoder().decode(output.stdout) +
    new TextDecoder().decode(output.stderr);
  if (!output.success) {
    const log = await Deno.makeTempFile({
      prefix: "herald-soak-",
      suffix: ".log",
    });
    await Deno.writeTextFile(log, text);
    console.error(`Run ${run} of ${runs} failed after ${took.toFixed(1)} s.`);
    console.error(
      failedTests(text).join("\n") || "(no test named: see the log)",
    );
    console.error(`Whole output: ${log}`);
    summary();
    Deno.exit(1);
  }
  seconds.push(took);
  console.log(`Run ${run} of ${runs}: green in ${took.toFixed(1)} s`);
}
summary();

/** The lines Deno's reporter marks FAILED, each test once. */
function failedTests(text: string): string[] {
  const names = text.split("\n")
    .filter((line) => / \.\.\. FAILED/.test(line))
    .map((line) => line.replace(/ \.\.\. FAILED.*$/, "").trim());
  return [...new Set(names)].map((name) => `FAILED: ${name}`);
}

function summary() {
  if (!seconds.length) return;
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  console.log(
    `${seconds.length} green of ${runs}; wall time min ${
      sorted[0]!.toFixed(1)
    } s, ` +
      `median ${median.toFixed(1)} s, max ${sorted.at(-1)!.toFixed(1)} s`,
  );
}
