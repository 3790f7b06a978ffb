/**
 * A request's `Server-Timing` header: each phase's duration since the
 * previous mark, then the total. On Workers the clock moves only across
 * I/O, which is exactly where these phases end, so the figures hold there
 * too. Durations only; nothing about the request's content.
 */
export interface ServerTiming {
  mark(phase: string): void;
  header(): string;
}

export function serverTiming(): ServerTiming {
  const started = performance.now();
  let last = started;
  const phases: string[] = [];
  return {
    mark(phase: string): void {
      const now = performance.now();
      phases.push(`${phase};dur=${(now - last).toFixed(1)}`);
      last = now;
    },
    header(): string {
      const total = (performance.now() - started).toFixed(1);
      return [...phases, `total;dur=${total}`].join(", ");
    },
  };
}
