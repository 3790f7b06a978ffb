import { dependencyUnavailable } from "../errors.ts";
import { SchedulerError } from "../ports/scheduler.ts";

/**
 * Admin routes that must reach QStash answer 503 when it is down (with
 * nothing but our own sentence), instead of an opaque 500.
 */
export async function orUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SchedulerError) throw dependencyUnavailable("qstash");
    throw error;
  }
}
