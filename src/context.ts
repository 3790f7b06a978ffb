import type { AppDeps, Background } from "./deps.ts";
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
 * `deps` as a service context, in one copy of its property descriptors:
 * the lazy parts stay lazy (a spread would make every one of them); `log`,
 * when given, replaces its logger (a request's, carrying its id).
 */
export function serviceContext(
  deps: AppDeps,
  parts: { background: Background; mark?: MarkPhase; log?: Logger },
): ServiceContext {
  const own = Object.getOwnPropertyDescriptors(deps);
  return Object.defineProperties({} as ServiceContext, {
    ...own,
    log: parts.log ? { ...own.log, value: parts.log } : own.log,
    background: { value: parts.background, enumerable: true },
    mark: { value: parts.mark ?? (() => {}), enumerable: true },
  });
}
