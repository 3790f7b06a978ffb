import { OpenAPIHono, z } from "@hono/zod-openapi";
import { ERROR_CODES, type ErrorStatus } from "../errors.ts";
import type { HonoEnv } from "./env.ts";
import { validationHook } from "./validation.ts";

/**
 * The pieces every route file declares its OpenAPI description with: one
 * factory for route groups (validation failures go through the one error
 * envelope), the envelope itself as a shared component, the security
 * schemes, and response helpers.
 */
export function openApiRoutes() {
  return new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });
}

/** `{error: {code, message, requestId, fields?}}`: every 4xx and 5xx. */
const errorEnvelope = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string().openapi({ description: "Safe to show a person." }),
    requestId: z.string().openapi({
      description: "Also in the `X-Request-Id` header; quote it to support.",
    }),
    fields: z.array(z.object({
      path: z.string().openapi({ example: "types.morningDigest.times[0]" }),
      message: z.string(),
    })).optional().openapi({
      description: "Validation errors (400): each offending field.",
    }),
    retryAfter: z.number().int().optional().openapi({
      description: "Rate limited (429): seconds to wait, as `Retry-After`.",
    }),
  }),
}).openapi("Error");

const ERROR_TEXT: Record<ErrorStatus, string> = {
  400: "Invalid input: the body, a parameter or the query (nothing changed)",
  401: "Missing or invalid credentials (`token_expired`: a token signed " +
    "with `JWT_SECRET` has expired; get a new one)",
  403: "The credentials do not allow this",
  404: "No such resource",
  405: "The path does not serve this method; `Allow` lists those it does",
  409: "Conflicts with work already under way",
  413: "Body over 64 KiB",
  415: 'Body not sent as JSON ("Content-Type: application/json")',
  422: "The Idempotency-Key was first used for a different request " +
    "(`idempotency_key_reused`); nothing was sent",
  429: "Rate limited; see Retry-After",
  500: "Internal error: nothing but the request id",
  503: "A part Herald depends on is unavailable; try again",
};

type ErrorResponses<S extends ErrorStatus> = {
  [K in S]: {
    description: string;
    content: { "application/json": { schema: typeof errorEnvelope } };
  };
};

/** Response entries for the given error statuses (500 is always possible). */
export function errors<S extends ErrorStatus>(
  ...statuses: S[]
): ErrorResponses<S | 500> {
  const out: Partial<Record<ErrorStatus, unknown>> = {};
  for (const status of [...statuses, 500 as const]) {
    out[status] = {
      description: ERROR_TEXT[status],
      content: { "application/json": { schema: errorEnvelope } },
    };
  }
  return out as ErrorResponses<S | 500>;
}

/** The one error response every route can give. */
export const internalError = errors<never>();

/** A JSON response entry. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return {
    description,
    content: { "application/json": { schema } },
  };
}

/** A JSON request body entry (required; see `jsonOnly` for 415 and `__proto__`). */
export function jsonRequest<T extends z.ZodType>(schema: T) {
  return {
    required: true,
    content: { "application/json": { schema } },
  };
}

/** Security scheme names, as routes list them in `security`. */
const ADMIN_KEY = "adminKey";
export const USER_TOKEN = "userToken";
export const STREAM_TOKEN = "streamToken";
const QSTASH_SIGNATURE = "qstashSignature";
const PUSH_ACTION_TOKEN = "pushActionToken";

/** Any one of the listed schemes will do. */
type Security = Record<string, string[]>[];

export const adminOnly: Security = [{ [ADMIN_KEY]: [] }];
export const adminOrUser: Security = [{ [ADMIN_KEY]: [] }, {
  [USER_TOKEN]: [],
}];
export const userOnly: Security = [{ [USER_TOKEN]: [] }];
export const signedByQStash: Security = [{ [QSTASH_SIGNATURE]: [] }];
export const pushAction: Security = [{ [PUSH_ACTION_TOKEN]: [] }];

/**
 * The 405 as a shared response: no operation answers it (it is the answer
 * when none matches the method), so it is described once, for clients.
 */
export function registerMethodNotAllowed(
  registry: OpenAPIHono["openAPIRegistry"],
): void {
  registry.registerComponent("responses", "MethodNotAllowed", {
    description: ERROR_TEXT[405] + " (`method_not_allowed`).",
    headers: {
      Allow: {
        description: "The methods the path serves, e.g. `GET, HEAD, PUT`.",
        schema: { type: "string" },
      },
    },
    content: {
      "application/json": { schema: { $ref: "#/components/schemas/Error" } },
    },
  });
}

export function registerSecuritySchemes(
  registry: OpenAPIHono["openAPIRegistry"],
): void {
  registry.registerComponent("securitySchemes", ADMIN_KEY, {
    type: "http",
    scheme: "bearer",
    description: "The admin key (`API_KEY`): `Authorization: Bearer <key>`.",
  });
  registry.registerComponent("securitySchemes", USER_TOKEN, {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A user's HS256 JWT signed with `JWT_SECRET`: `sub` is the " +
      "user id; optional `roles` and `topics` (string arrays) name the " +
      "broadcast channels the user receives. The SDK's `createUserToken()` " +
      "makes one.",
  });
  registry.registerComponent("securitySchemes", STREAM_TOKEN, {
    type: "apiKey",
    in: "query",
    name: "token",
    description: "A 2-minute stream token from `POST /v1/stream/token`, for " +
      "clients that cannot set headers (`EventSource`).",
  });
  registry.registerComponent("securitySchemes", PUSH_ACTION_TOKEN, {
    type: "apiKey",
    in: "query",
    name: "token",
    description: "The `actionToken` a push carries: good for 7 days, for " +
      "marking that one notification read for that one user, and for " +
      "nothing else.",
  });
  registry.registerComponent("securitySchemes", QSTASH_SIGNATURE, {
    type: "apiKey",
    in: "header",
    name: "Upstash-Signature",
    description: "QStash's JWT over the exact raw body and the callback URL, " +
      "checked with the current and the next signing key.",
  });
}
