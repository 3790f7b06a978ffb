import type { FaultControl } from "@herald/standin-faults";
import type { ClockFollowers } from "./clock_followers.ts";
import type { Dispatcher } from "./dispatcher.ts";
import type { ScheduleBook } from "./schedule_book.ts";
import type { QStashState } from "./state.ts";
import type { VirtualClock } from "./virtual_clock.ts";

/** What the HTTP routes work with; built once by `startQStashDevServer`. */
export interface AppDeps {
  state: QStashState;
  book: ScheduleBook;
  dispatcher: Dispatcher;
  clock: VirtualClock;
  followers: ClockFollowers;
  /** Dev-only: failures, delays and outages to inject. */
  faults: FaultControl;
  /** Resolves once the current state is durable (no-op when in memory). */
  persist(): Promise<void>;
}

/** Hono environment: the publisher's address travels in as a binding. */
export type DevEnv = { Bindings: { callerIp: string } };
