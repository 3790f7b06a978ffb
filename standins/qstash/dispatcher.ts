import { type Outcome, settleAttempt } from "./attempt_outcome.ts";
import type { ClockFollowers } from "./clock_followers.ts";
import { attemptDelivery } from "./delivery.ts";
import { type FlowControl, FlowGate } from "./flow_control.ts";
import { dueMessages, nextDueMessage } from "./message_queue.ts";
import type { ScheduleBook } from "./schedule_book.ts";
import type { QStashState } from "./state.ts";
import type { StoredMessage } from "./state_model.ts";
import type { VirtualClock } from "./virtual_clock.ts";

/**
 * Turns due work into deliveries, two ways:
 * - a real-time loop (a timer, at most a second apart) that fires due
 *   schedules and starts every due message in the background;
 * - `advanceTo()`, for tests: with the loop on hold, replays every schedule
 *   occurrence and message attempt up to the target one at a time, in time
 *   order, with the clock frozen at each event, and reports what it did.
 * A message is never attempted twice at once: `#busy` holds the ones in
 * flight, whichever path started them. While the server is down
 * (`pause()`) nothing new is delivered. Flow-control keys limit how many
 * messages of one key the loop has in flight (advances are sequential, so
 * they already respect any limit).
 */
export interface DeliveryReport {
  messageId: string;
  scheduleId?: string;
  url: string;
  /** The destination's status; 0 when it did not answer. */
  status: number;
  /** The `Upstash-Retried` value this attempt carried. */
  retried: number;
  /** Virtual time of the attempt (ms). */
  at: number;
  outcome: Outcome;
  error?: string;
}

export interface AdvanceResult {
  delivered: DeliveryReport[];
  /** Set when the replay stopped early at the event cap. */
  truncated?: true;
}

export interface DispatcherDeps {
  state: QStashState;
  book: ScheduleBook;
  clock: VirtualClock;
  /** Told of every jump of the virtual clock before it matters to them. */
  followers: ClockFollowers;
  signingKey: string;
  log: (line: string) => void;
  /** Work fell due while paused and was held back (tests wait for it). */
  onHeld?: () => void;
}

const MAX_TIMER_MS = 1_000;
// QStash's longest plan limit for a response; a hung destination only
// holds up its own message in the real-time loop.
const DEFAULT_TIMEOUT_MS = 15 * 60_000;
// A destination that publishes on every delivery could otherwise keep an
// advance busy forever at one instant.
const MAX_EVENTS_PER_ADVANCE = 100_000;
// A tick scans every pending message; with tens of thousands queued, ticking
// on every wake would spend the server's time scanning instead of serving,
// so ticks are spaced by queue length (1 ms per 2,000 messages, ≤ 100 ms).
const BUSY_QUEUE = 1_000;
const MESSAGES_PER_SPACING_MS = 2_000;
const MAX_TICK_SPACING_MS = 100;

export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #busy = new Set<string>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #flows = new FlowGate();
  #lastTick = 0;
  readonly #shutdown = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onHold = false;
  /** The server is down: nothing is delivered until it is back. */
  #paused = false;
  #advances: Promise<unknown> = Promise.resolve();
  #closed = false;
  #attempts = 0;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  /**
   * Delivery attempts started so far, retries included: what QStash bills
   * as messages (its FAQ counts each retry as one).
   */
  get attempts(): number {
    return this.#attempts;
  }

  /** Starts the real-time loop. */
  start(): void {
    this.wake();
  }

  /** New work may be due now: run the loop at once instead of on its beat. */
  wake(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    const queued = this.#deps.state.messages.size;
    const gap = Math.min(
      MAX_TICK_SPACING_MS,
      queued / MESSAGES_PER_SPACING_MS,
    );
    const spacing = queued > BUSY_QUEUE
      ? Math.max(0, this.#lastTick + gap - performance.now())
      : 0;
    this.#timer = setTimeout(() => this.#tick(), spacing);
  }

  advanceTo(targetMs: number): Promise<AdvanceResult> {
    const run = this.#advances.then(() => this.#advance(targetMs));
    this.#advances = run.catch(() => {});
    return run;
  }

  /** Fires a schedule now, outside its cron, and awaits that one attempt. */
  async fireNow(scheduleId: string): Promise<DeliveryReport> {
    const { book, clock } = this.#deps;
    const message = book.fire(book.get(scheduleId), clock.now(), false);
    return await this.#track(this.#attempt(message, () => clock.now()));
  }

  /** Starts no delivery (attempts in flight finish) until `resume()`. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.wake();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#shutdown.abort();
    await Promise.allSettled([...this.#running]);
    await this.#advances;
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    this.#lastTick = performance.now();
    const { book, clock, state } = this.#deps;
    if (this.#paused) {
      const now = clock.now();
      if (nextDueMessage(state, now, this.#busy) ?? book.nextDue(now)) {
        this.#deps.onHeld?.();
      }
    } else if (!this.#onHold) {
      const now = clock.now();
      for (let s = book.nextDue(now); s; s = book.nextDue(now)) {
        book.fire(s, s.nextScheduleTime ?? now, true);
      }
      const room = (flow: FlowControl) => this.#flows.room(flow, now);
      for (const m of dueMessages(state, now, this.#busy, room)) {
        if (!this.#flows.canStart(m.flowControl, now)) continue;
        this.#flows.started(m.flowControl, now);
        const flow = m.flowControl;
        this.#track(this.#attempt(m, () => clock.now()))
          .finally(() => this.#flows.finished(flow))
          .then(() => this.wake())
          .catch((error) => this.#deps.log(`delivery crashed: ${error}`));
      }
    }
    this.#timer = setTimeout(() => this.#tick(), MAX_TIMER_MS);
  }

  async #advance(targetMs: number): Promise<AdvanceResult> {
    const { book, clock, state, followers } = this.#deps;
    this.#onHold = true;
    try {
      // Attempts the loop already started finish first, in real time.
      await Promise.allSettled([...this.#running]);
      let now = clock.now();
      if (targetMs < now) {
        book.realignAll(targetMs);
        await followers.tell(targetMs);
        return { delivered: [] };
      }
      const delivered: DeliveryReport[] = [];
      for (let events = 0; !this.#closed; events++) {
        if (events === MAX_EVENTS_PER_ADVANCE) {
          targetMs = now; // the clock stops where the replay stopped
          return { delivered, truncated: true };
        }
        const message = nextDueMessage(state, targetMs, this.#busy);
        const schedule = book.nextDue(targetMs);
        const scheduleAt = schedule?.nextScheduleTime ?? Infinity;
        if (schedule && (!message || scheduleAt < message.nextAttemptAt)) {
          now = Math.max(now, scheduleAt);
          clock.freezeAt(now);
          book.fire(schedule, scheduleAt, true);
        } else if (message) {
          now = Math.max(now, message.nextAttemptAt);
          clock.freezeAt(now);
          const at = now;
          await followers.tell(at);
          delivered.push(await this.#track(this.#attempt(message, () => at)));
        } else break;
      }
      await followers.tell(targetMs);
      return { delivered };
    } finally {
      if (!this.#closed) clock.resumeAt(targetMs);
      state.clockOffsetMs = clock.offsetMs;
      state.changed();
      this.#onHold = false;
      this.wake();
    }
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#running.add(work);
    return work.finally(() => this.#running.delete(work));
  }

  async #attempt(
    message: StoredMessage,
    settledAt: () => number,
  ): Promise<DeliveryReport> {
    const { state, signingKey, log } = this.#deps;
    this.#busy.add(message.messageId);
    this.#attempts++;
    const retried = message.retried;
    try {
      const result = await attemptDelivery(message, {
        signingKey,
        signal: this.#shutdown.signal,
        defaultTimeoutMs: DEFAULT_TIMEOUT_MS,
      });
      const at = settledAt();
      // Interrupted by shutdown: not a failure, try again after a restart.
      const outcome = this.#closed
        ? "cancelled"
        : settleAttempt(state, message, result, at);
      log(
        `${message.messageId} ${message.method} ${message.url} retried=${retried} → ${
          result.status || result.error
        } (${outcome})`,
      );
      return {
        messageId: message.messageId,
        ...(message.scheduleId ? { scheduleId: message.scheduleId } : {}),
        url: message.url,
        status: result.status,
        retried,
        at,
        outcome,
        ...(result.error ? { error: result.error } : {}),
      };
    } finally {
      this.#busy.delete(message.messageId);
    }
  }
}
