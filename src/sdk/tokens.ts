import { sign } from "hono/jwt";
import { issueStreamToken } from "../http/auth.ts";

export interface UserClaims {
  /** Broadcast roles the user receives (`POST /v1/notifications {roles}`). */
  roles?: string[];
  /** Topics the user receives (`POST /v1/notifications {topic}`). */
  topics?: string[];
  /** Lifetime in seconds (default 3600). */
  ttl?: number;
}

const DEFAULT_TTL_SECONDS = 3600;
/** What `POST /v1/stream/token` issues: stream tokens travel in URLs. */
const STREAM_TOKEN_TTL_SECONDS = 120;

/**
 * A user's bearer token for Herald (HS256 with `JWT_SECRET`): `sub` is the
 * user id; roles and topics name the broadcasts the user receives. Mint it
 * on your server and hand it to the user's browser or app.
 */
export async function createUserToken(
  jwtSecret: string,
  userId: string,
  claims: UserClaims = {},
  now = Date.now(),
): Promise<string> {
  const iat = Math.floor(now / 1000);
  return await sign(
    {
      sub: userId,
      roles: claims.roles ?? [],
      topics: claims.topics ?? [],
      iat,
      exp: iat + (claims.ttl ?? DEFAULT_TTL_SECONDS),
    },
    jwtSecret,
    "HS256",
  );
}

/**
 * A stream token, minted on the server without a round trip: the same
 * token `POST /v1/stream/token` gives the user, good only for opening
 * `GET /v1/stream?token=…` (an `EventSource` cannot send headers).
 */
export async function createStreamToken(
  jwtSecret: string,
  userId: string,
  claims: UserClaims = {},
  now = Date.now(),
): Promise<{ token: string; expiresAt: string }> {
  return await issueStreamToken(
    { userId, roles: claims.roles ?? [], topics: claims.topics ?? [] },
    jwtSecret,
    now,
    claims.ttl ?? STREAM_TOKEN_TTL_SECONDS,
  );
}
