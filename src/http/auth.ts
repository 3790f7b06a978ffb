import type { MiddlewareHandler } from "hono";
import { sign, verify } from "hono/jwt";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { HonoEnv, Principal } from "./env.ts";

const claimsSchema = z.object({
  sub: z.string().min(1),
  roles: z.array(z.string().min(1)).optional(),
  topics: z.array(z.string().min(1)).optional(),
  typ: z.string().optional(),
  ntf: z.string().optional(),
  // A present `exp` that is not a number is invalid, not "never expires".
  exp: z.number().optional(),
});

/** The `typ` of the short-lived tokens `POST /v1/stream/token` issues. */
const STREAM_TOKEN_TYPE = "herald-stream";
/** The `typ` of the token a push carries to mark its notification read. */
const PUSH_ACTION_TYPE = "herald-push-action";
/** How long a push's action token stays good (the click may come late). */
const PUSH_ACTION_TTL_S = 7 * 24 * 60 * 60;

export function bearer(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1] ?? null;
}

/** Compares without leaking where the strings differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) {
    diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  }
  return diff === 0;
}

/** A token's claims once its HS256 signature holds (expiry unchecked). */
async function verifiedClaims(
  token: string,
  jwtSecret: string,
): Promise<z.output<typeof claimsSchema> | null> {
  let payload: unknown;
  try {
    payload = await verify(token, jwtSecret, { alg: "HS256", exp: false });
  } catch {
    return null;
  }
  const claims = claimsSchema.safeParse(payload);
  return claims.success ? claims.data : null;
}

/**
 * The user a JWT names, or null when it is not a valid token of the wanted
 * kind. Expiry is checked after the signature (Hono's `verify` checks it
 * before), so "expired" is only ever said of a token signed with our
 * secret — a forged one with a past `exp` is just invalid — and says
 * nothing else about the token.
 */
async function userFromJwt(
  token: string,
  jwtSecret: string,
  wantStreamToken: boolean,
): Promise<Principal | null> {
  const claims = await verifiedClaims(token, jwtSecret);
  if (!claims) return null;
  // A stream token is only good for opening a stream (it travels in URLs),
  // and a user's long-lived JWT never belongs in one; a push's action
  // token is good for nothing but marking its one notification read.
  const { typ } = claims;
  if (typ === PUSH_ACTION_TYPE) return null;
  if ((typ === STREAM_TOKEN_TYPE) !== wantStreamToken) return null;
  // The wall clock, as the token's issuer uses (never the dev clock).
  const { exp } = claims;
  if (exp !== undefined && exp <= Math.floor(Date.now() / 1000)) {
    throw new AppError(
      "token_expired",
      wantStreamToken
        ? "The stream token has expired: get a new one from POST /v1/stream/token"
        : "The token has expired: get a new one",
    );
  }
  return {
    kind: "user",
    userId: claims.sub,
    roles: claims.roles ?? [],
    topics: claims.topics ?? [],
  };
}

/**
 * The admin or the user a bearer token names; null when it is neither.
 * Throws `token_expired` for a user JWT of ours whose time is up.
 */
export async function principalFromToken(
  token: string,
  apiKey: string,
  jwtSecret: string,
): Promise<Principal | null> {
  if (timingSafeEqual(token, apiKey)) return { kind: "admin" };
  return await userFromJwt(token, jwtSecret, false);
}

/** The user a stream token names (null, or `token_expired`, as above). */
export function principalFromStreamToken(
  token: string,
  jwtSecret: string,
): Promise<Principal | null> {
  return userFromJwt(token, jwtSecret, true);
}

/** A token for `GET /v1/stream?token=…`, valid for `ttlSeconds`. */
export async function issueStreamToken(
  user: { userId: string; roles: string[]; topics: string[] },
  jwtSecret: string,
  now: number,
  ttlSeconds: number,
): Promise<{ token: string; expiresAt: string }> {
  const iat = Math.floor(now / 1000);
  const token = await sign(
    {
      sub: user.userId,
      roles: user.roles,
      topics: user.topics,
      typ: STREAM_TOKEN_TYPE,
      iat,
      exp: iat + ttlSeconds,
    },
    jwtSecret,
    "HS256",
  );
  return {
    token,
    expiresAt: new Date((iat + ttlSeconds) * 1000).toISOString(),
  };
}

/**
 * The token a push carries so its service worker can mark that one
 * notification read for that one user, without the user's JWT. Signed on
 * the wall clock like every token.
 */
export async function issuePushActionToken(
  o: { userId: string; notificationId: string; jwtSecret: string },
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return await sign(
    {
      sub: o.userId,
      ntf: o.notificationId,
      typ: PUSH_ACTION_TYPE,
      iat,
      exp: iat + PUSH_ACTION_TTL_S,
    },
    o.jwtSecret,
    "HS256",
  );
}

/**
 * The user an action token names for `notificationId`; null when it is not
 * a valid, unexpired action token for that very notification.
 */
export async function pushActionUser(
  token: string,
  notificationId: string,
  jwtSecret: string,
): Promise<string | null> {
  const claims = await verifiedClaims(token, jwtSecret);
  if (!claims || claims.exp === undefined) return null;
  const { typ, ntf, sub, exp } = claims;
  // The wall clock, like every token.
  if (exp <= Math.floor(Date.now() / 1000)) return null;
  return typ === PUSH_ACTION_TYPE && ntf === notificationId ? sub : null;
}

/** Sets `principal` from `Authorization: Bearer` (admin key or user JWT). */
export const authenticate: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token) throw new AppError("unauthorized", "Missing bearer token");
  const { config } = c.get("ctx");
  const principal = await principalFromToken(
    token,
    config.apiKey,
    config.jwtSecret,
  );
  if (!principal) throw new AppError("unauthorized", "Invalid credentials");
  c.set("principal", principal);
  await next();
};

export const requireAdmin: MiddlewareHandler<HonoEnv> = async (c, next) => {
  if (c.get("principal").kind !== "admin") {
    throw new AppError("forbidden", "This route needs the admin key");
  }
  await next();
};

/** The admin, or the user named by the `:userId` path parameter. */
export const requireSelfOrAdmin: MiddlewareHandler<HonoEnv> = async (
  c,
  next,
) => {
  const principal = c.get("principal");
  const userId = c.req.param("userId");
  if (principal.kind === "user" && principal.userId !== userId) {
    throw new AppError("forbidden", "You may only access your own data");
  }
  await next();
};
