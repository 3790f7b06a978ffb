import {
  startTestStack,
  type TestStack,
  type TestStackOptions,
} from "./test_stack.ts";

type Case = [name: string, fn: () => Promise<void>];

/** Where users' schedules live (SCHEDULE_PLACEMENT). */
export type Placement = "slots" | "per-user";

export interface IntegrationSuiteOptions extends TestStackOptions {
  /**
   * Run every case once per placement, each on a stack of its own: the
   * suites whose cases must hold whichever placement a deployment picks.
   */
  placements?: readonly Placement[];
}

export interface IntegrationSuite {
  /** Registers a case; it runs as a step, in order. */
  test(name: string, fn: () => Promise<void>): void;
  /** The running stack (only inside a case). */
  readonly stack: TestStack;
  /** The placement the running stack uses (only inside a case). */
  readonly placement: Placement;
  /** Runs after the stack closes (servers a suite started for itself). */
  onClose(fn: () => Promise<void> | void): void;
  /** Declares the one Deno test that starts the stack and runs the cases. */
  run(): void;
}

/**
 * A file's integration tests share one stack (starting workerd and the
 * stand-ins costs about a second): they run as steps of one Deno test that
 * owns the stack and always closes it. Files run in parallel, each with its
 * own stack and data.
 */
export function integrationSuite(
  name: string,
  opts: IntegrationSuiteOptions = {},
): IntegrationSuite {
  const cases: Case[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const placements = opts.placements ?? [];
  let current: { stack: TestStack; placement: Placement } | null = null;
  let runs = 0;
  const runOn = (placement: Placement | null) =>
    Deno.test(
      placement ? `${name} (${placement} placement)` : name,
      async (t) => {
        const vars = placement
          ? { ...opts.vars, SCHEDULE_PLACEMENT: placement }
          : opts.vars;
        current = {
          stack: await startTestStack({ ...opts, vars }),
          placement: placement ?? "slots",
        };
        try {
          for (const [caseName, fn] of cases) await t.step(caseName, fn);
        } finally {
          await current.stack.close();
          current = null;
          // Servers the suite started serve every placement's run.
          if (++runs === Math.max(1, placements.length)) {
            for (const close of closers) await close();
          }
        }
      },
    );
  return {
    test: (caseName, fn) => void cases.push([caseName, fn]),
    onClose: (fn) => void closers.push(fn),
    get stack(): TestStack {
      if (!current) throw new Error("The stack is only up inside a case");
      return current.stack;
    },
    get placement(): Placement {
      if (!current) throw new Error("The stack is only up inside a case");
      return current.placement;
    },
    run: () => {
      if (placements.length === 0) runOn(null);
      for (const placement of placements) runOn(placement);
    },
  };
}
