/**
 * Polls `probe` until it returns something other than null: how a test
 * waits for a fact that has no event of its own to await (a row in libSQL,
 * a status report). The deadline only bounds a failure — a passing test
 * returns as soon as the fact holds — so it is generous.
 */
const POLL_MS = 20;

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | null>,
  deadlineMs = 30_000,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > until) {
      throw new Error(`Timed out after ${deadlineMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
