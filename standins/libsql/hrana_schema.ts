/**
 * Hrana-over-HTTP JSON messages (HRANA_3_SPEC): zod schemas for what clients
 * send, plain types for what the server answers. Unknown fields are ignored,
 * like sqld's serde structs do.
 */
import { z } from "zod";
import { decodeBase64 } from "./hrana_values.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

const valueSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("null") }),
  z.object({
    type: z.literal("integer"),
    value: z.string().regex(/^[+-]?[0-9]+$/, "must be a decimal integer string")
      .transform((digits) => BigInt(digits))
      .refine((n) => n >= INT64_MIN && n <= INT64_MAX, "must fit in 64 bits"),
  }),
  z.object({ type: z.literal("float"), value: z.number() }),
  z.object({ type: z.literal("text"), value: z.string() }),
  z.object({
    type: z.literal("blob"),
    base64: z.string().transform((text, ctx) => {
      const bytes = BASE64_PATTERN.test(text) ? decodeBase64(text) : null;
      if (bytes) return bytes;
      ctx.issues.push({
        code: "custom",
        message: "must be base64",
        input: text,
      });
      return z.NEVER;
    }),
  }),
]);
export type HranaValue = z.infer<typeof valueSchema>;

const sqlIdSchema = z.number().int();

const stmtSchema = z.object({
  sql: z.string().nullish(),
  sql_id: sqlIdSchema.nullish(),
  args: z.array(valueSchema).nullish(),
  named_args: z.array(z.object({ name: z.string(), value: valueSchema }))
    .nullish(),
  want_rows: z.boolean().nullish(),
});
export type HranaStmt = z.infer<typeof stmtSchema>;

export type BatchCond =
  | { type: "ok"; step: number }
  | { type: "error"; step: number }
  | { type: "not"; cond: BatchCond }
  | { type: "and"; conds: BatchCond[] }
  | { type: "or"; conds: BatchCond[] }
  | { type: "is_autocommit" };

const stepIndexSchema = z.number().int().nonnegative();

const batchCondSchema: z.ZodType<BatchCond> = z.lazy(() =>
  z.discriminatedUnion("type", [
    z.object({ type: z.literal("ok"), step: stepIndexSchema }),
    z.object({ type: z.literal("error"), step: stepIndexSchema }),
    z.object({ type: z.literal("not"), cond: batchCondSchema }),
    z.object({ type: z.literal("and"), conds: z.array(batchCondSchema) }),
    z.object({ type: z.literal("or"), conds: z.array(batchCondSchema) }),
    z.object({ type: z.literal("is_autocommit") }),
  ])
);

const batchSchema = z.object({
  steps: z.array(
    z.object({ condition: batchCondSchema.nullish(), stmt: stmtSchema }),
  ),
});
export type HranaBatch = z.infer<typeof batchSchema>;

const sqlSourceShape = {
  sql: z.string().nullish(),
  sql_id: sqlIdSchema.nullish(),
};

const streamRequestSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("close") }),
  z.object({ type: z.literal("execute"), stmt: stmtSchema }),
  z.object({ type: z.literal("batch"), batch: batchSchema }),
  z.object({ type: z.literal("sequence"), ...sqlSourceShape }),
  z.object({ type: z.literal("describe"), ...sqlSourceShape }),
  z.object({
    type: z.literal("store_sql"),
    sql_id: sqlIdSchema,
    sql: z.string(),
  }),
  z.object({ type: z.literal("close_sql"), sql_id: sqlIdSchema }),
  z.object({ type: z.literal("get_autocommit") }),
]);
export type StreamRequest = z.infer<typeof streamRequestSchema>;

export const pipelineBodySchema = z.object({
  baton: z.string().nullish(),
  requests: z.array(streamRequestSchema),
});

export const cursorBodySchema = z.object({
  baton: z.string().nullish(),
  batch: batchSchema,
});

/** A value as the server writes it. */
export type ProtoValue =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

export interface ProtoError {
  message: string;
  code: string;
}

export interface StmtResult {
  cols: { name: string; decltype: string | null }[];
  rows: ProtoValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  query_duration_ms: number;
}

export interface BatchResult {
  step_results: (StmtResult | null)[];
  step_errors: (ProtoError | null)[];
}

export interface DescribeResult {
  params: { name: string | null }[];
  cols: { name: string; decltype: string | null }[];
  is_explain: boolean;
  is_readonly: boolean;
}

export type StreamResponse =
  | { type: "close" }
  | { type: "execute"; result: StmtResult }
  | { type: "batch"; result: BatchResult }
  | { type: "sequence" }
  | { type: "describe"; result: DescribeResult }
  | { type: "store_sql" }
  | { type: "close_sql" }
  | { type: "get_autocommit"; is_autocommit: boolean };

export type StreamResult =
  | { type: "ok"; response: StreamResponse }
  | { type: "error"; error: ProtoError };

/** Formats zod issues for a 400 body, naming the offending field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`)
    .join("; ");
}
