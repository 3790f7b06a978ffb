import { z } from "zod";

const envelope = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() }))
      .optional(),
    retryAfter: z.number().optional(),
  }),
});

/**
 * What Herald answered instead of success: the error envelope's code,
 * message and request id, with the HTTP status.
 */
export class HeraldError extends Error {
  override name = "HeraldError";
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  /** Validation errors (400): each offending field. */
  readonly fields: { path: string; message: string }[];
  /** Rate limited (429): seconds to wait. */
  readonly retryAfter: number | null;

  constructor(init: HeraldErrorInit) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.fields = init.fields ?? [];
    this.retryAfter = init.retryAfter ?? null;
  }
}

/** What a `HeraldError` is made of: the envelope's fields and the status. */
export interface HeraldErrorInit {
  status: number;
  code: string;
  message: string;
  requestId: string | null;
  fields?: { path: string; message: string }[];
  retryAfter?: number | null;
}

/** What an error response must offer (a fetch Response does). */
export interface ErrorResponse {
  status: number;
  headers: Headers;
  text(): Promise<string>;
}

/** Reads an error response; a body that is not the envelope says so. */
export async function heraldError(res: ErrorResponse): Promise<HeraldError> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: reported below.
  }
  const parsed = envelope.safeParse(json);
  if (!parsed.success) {
    return new HeraldError({
      status: res.status,
      code: "unexpected_response",
      message: `Herald answered ${res.status} without its error envelope`,
      requestId: res.headers.get("x-request-id"),
    });
  }
  const { code, message, requestId, fields, retryAfter } = parsed.data.error;
  return new HeraldError({
    status: res.status,
    code,
    message,
    requestId,
    fields,
    retryAfter,
  });
}
