import type { z } from "zod";

/**
 * A stand-in's command line as its options: `--name value` and
 * `--name=value` pairs, each name a key of `schema`. Anything else — an
 * unknown flag, a missing value, a value the schema refuses — is printed
 * and the process exits with 2.
 */
export function cliOptionsOrExit<T extends z.ZodObject>(
  schema: T,
  args: readonly string[],
): z.infer<T> {
  try {
    const parsed = schema.safeParse(readFlags(args, Object.keys(schema.shape)));
    if (!parsed.success) {
      throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
    }
    return parsed.data;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(2);
  }
}

/** `--name value` and `--name=value` pairs; anything else is an error. */
export function readFlags(
  args: readonly string[],
  known: readonly string[],
): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const match = arg.match(/^--([a-z]+)(?:=(.*))?$/);
    if (!match?.[1] || !known.includes(match[1])) {
      throw new Error(`Unknown argument "${arg}"`);
    }
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    flags[match[1]] = value;
  }
  return flags;
}
