import type { Context } from "hono";
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { formatIssuePath } from "../domain/codecs/issue_path.ts";

type Issue = Pick<z.core.$ZodIssue, "path" | "message">;

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

/**
 * The offending fields a 400 names at most: enough for any honest body, and
 * a body of 5,000 unknown keys gets a short answer, not one line per key.
 */
const MAX_NAMED_FIELDS = 20;

/** A field's message past this is cut: it repeats input, not meaning. */
const MAX_MESSAGE_CHARS = 300;

function cut(message: string): string {
  return message.length > MAX_MESSAGE_CHARS
    ? `${message.slice(0, MAX_MESSAGE_CHARS)}…`
    : message;
}

/** One 400 naming each offending field (the first `MAX_NAMED_FIELDS`). */
export function validationError(issues: readonly Issue[]): AppError {
  const fields = issues.slice(0, MAX_NAMED_FIELDS).map((issue) => ({
    path: cut(formatIssuePath(issue.path)),
    message: cut(issue.message),
  }));
  const first = fields[0];
  const where = first?.path ? `"${first.path}": ` : "";
  const more = issues.length > fields.length
    ? ` (and ${
      issues.length - 1
    } more problems; the first ${fields.length} are listed)`
    : "";
  return new AppError(
    "validation_failed",
    `${where}${first?.message ?? "Invalid request"}${more}`,
    { fields },
  );
}
