import {
  startTestStack,
  type TestStack,
  type TestStackOptions,
} from "./test_stack.ts";

type Case = [name: string, fn: () => Promise<void>];

export interface IntegrationSuite {
  /** Registers a case; it runs as a step, in order. */
  test(name: string, fn: () => Promise<void>): void;
  /** The running stack (only inside a case). */
  readonly stack: TestStack;
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
  opts: TestStackOptions = {},
): IntegrationSuite {
  const cases: Case[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  let current: TestStack | null = null;
  return {
    test: (caseName, fn) => void cases.push([caseName, fn]),
    onClose: (fn) => void closers.push(fn),
    get stack(): TestStack {
      if (!current) throw new Error("The stack is only up inside a case");
      return current;
    },
    run: () =>
      Deno.test(name, async (t) => {
        current = await startTestStack(opts);
        try {
          for (const [caseName, fn] of cases) await t.step(caseName, fn);
        } finally {
          await current.close();
          current = null;
          for (const close of closers) await close();
        }
      }),
  };
}
