import type { Context } from "hono";
import type { z } from "zod";

type Issue = Pick<z.core.$ZodIssue, "path" | "message">;
import { AppError } from "../errors.ts";

/** "types.morningDigest.times[0]" from zod's path segments. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

/**
 * The zValidator hook every route uses: a failed parse becomes one 400 that
 * names each offending field; nothing downstream runs.
 */
export function validationHook(
  result: { success: true } | {
    success: false;
    error: { issues: readonly Issue[] };
  },
  _c: Context,
): void {
  if (!result.success) throw validationError(result.error.issues);
}

/** One 400 naming each offending field. */
export function validationError(issues: readonly Issue[]): AppError {
  const fields = issues.map((issue) => ({
    path: formatIssuePath(issue.path),
    message: issue.message,
  }));
  const first = fields[0];
  const where = first?.path ? `"${first.path}": ` : "";
  return new AppError(
    "validation_failed",
    `${where}${first?.message ?? "Invalid request"}`,
    { fields },
  );
}
