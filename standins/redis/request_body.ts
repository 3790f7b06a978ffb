import { z } from "zod";

/**
 * Request bodies of the Upstash REST API. @upstash/redis sends strings,
 * numbers and booleans as they are and stringifies everything else, so
 * anything else here is a malformed request.
 */
const argument = z.union([z.string(), z.number(), z.boolean()]);
const command = z.array(argument).min(1, "A command needs at least a name");
const commandList = z.array(command).min(1, "Send at least one command");

export type ParsedBody =
  | { ok: true; value: string[] }
  | { ok: false; error: string };
export type ParsedBatch =
  | { ok: true; value: string[][] }
  | { ok: false; error: string };

/** Parses `["SET","k","v"]` into the arguments Redis receives. */
export function parseCommandBody(raw: string): ParsedBody {
  const json = parseJson(raw);
  if (!json.ok) return json;
  const parsed = command.safeParse(json.value);
  if (!parsed.success) {
    return { ok: false, error: describe(parsed.error, "a JSON array command") };
  }
  return { ok: true, value: parsed.data.map(String) };
}

/** Parses `[["SET","k","v"],["GET","k"]]` for /pipeline and /multi-exec. */
export function parseBatchBody(raw: string): ParsedBatch {
  const json = parseJson(raw);
  if (!json.ok) return json;
  const parsed = commandList.safeParse(json.value);
  if (!parsed.success) {
    return {
      ok: false,
      error: describe(parsed.error, "a JSON array of array commands"),
    };
  }
  return { ok: true, value: parsed.data.map((cmd) => cmd.map(String)) };
}

function parseJson(
  raw: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false, error: "ERR Request body is not valid JSON" };
  }
}

function describe(error: z.ZodError, expected: string): string {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0
    ? ` at [${issue.path.join("][")}]`
    : "";
  return `ERR Request body must be ${expected}: ${
    issue?.message ?? "invalid"
  }${where}`;
}
