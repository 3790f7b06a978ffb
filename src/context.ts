import type { AppDeps, Background } from "./deps.ts";
import { withLogger } from "./compose.ts";
import type { Logger } from "./ports/logger.ts";

/** Marks the end of a phase of a request (for its Server-Timing). */
export type MarkPhase = (phase: string) => void;

/**
 * What every service verb is handed, as `{ ctx, … }`: the deps themselves
 * (their `log` is the request's, every line carrying its id), the
 * background runner and the request's timing marks. Built once per request
 * by the app's first middleware, and once per run for work that no request
 * started (the Worker's cron and startup, Deno's timers).
 */
export interface ServiceContext extends AppDeps {
  /** Keeps a task alive after the response is sent; a failure is logged. */
  background: Background;
  /** Ends a phase of the request; its `Server-Timing` names the phase. */
  mark: MarkPhase;
}

/**
 * `deps` as a service context. The lazy parts of `deps` stay lazy (their
 * getters are carried over, not read); `log`, when given, replaces its
 * logger.
 */
export function serviceContext(
  deps: AppDeps,
  parts: { background: Background; mark?: MarkPhase; log?: Logger },
): ServiceContext {
  const scoped = parts.log ? withLogger(deps, parts.log) : deps;
  return Object.defineProperties({} as ServiceContext, {
    ...Object.getOwnPropertyDescriptors(scoped),
    background: { value: parts.background, enumerable: true },
    mark: { value: parts.mark ?? (() => {}), enumerable: true },
  });
}
