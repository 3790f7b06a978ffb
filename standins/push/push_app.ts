/**
 * The push service's HTTP face: `POST /subscribe` (what a browser's
 * PushManager.subscribe() obtains), `POST /push/:id` (RFC 8030 §5, checked
 * and decrypted as a real service would), and the dev controls to see and
 * steer what arrived: `/messages`, `/expire`, `/dev/stats`,
 * `/dev/rate-limit`, `/dev/faults`.
 */
import { Hono } from "hono";
import { z } from "zod";
import { type FaultControl, faultRoutes } from "@herald/standin-faults";
import { decodeBase64url } from "./base64url.ts";
import { decryptAes128gcm, UndecryptableMessage } from "./aes128gcm.ts";
import { isP256Point } from "./p256_point.ts";
import { readPushHeaders } from "./push_headers.ts";
import type { AcceptedMessage, PushRegistry } from "./push_registry.ts";
import type { RateLimit } from "./rate_limit.ts";
import { checkVapid } from "./vapid.ts";

/** RFC 8030 §7.2: a push service need accept only 4,096 bytes of body. */
export const MAX_BODY_BYTES = 4096;

export interface PushAppDeps {
  registry: PushRegistry;
  faults: FaultControl;
  rateLimit: RateLimit;
  /** The stand-in's own origin, known once its port is bound. */
  origin: () => string;
  log: (line: string) => void;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  410: "Gone",
  413: "Payload Too Large",
  503: "Service Unavailable",
};

/** One error shape for every refusal (Mozilla autopush's fields). */
export function pushError(status: number, message: string): Response {
  return Response.json(
    { code: status, error: REASONS[status] ?? "Error", message },
    { status },
  );
}

const subscribeBody = z.object({ applicationServerKey: z.string() });
const expireBody = z.object({ endpoint: z.string() });
const rateLimitBody = z.object({
  share: z.number().min(0).max(1).optional(),
  retryAfter: z.number().int().min(0).max(86_400).optional(),
}).strict();

export function createPushApp(deps: PushAppDeps): Hono {
  const { registry } = deps;
  const app = new Hono();

  app.post("/subscribe", async (c) => {
    const body = subscribeBody.safeParse(await readJson(c.req.raw));
    if (!body.success) {
      return pushError(400, 'the body must be {"applicationServerKey": …}');
    }
    const key = decodeBase64url(body.data.applicationServerKey);
    if (!key || !isP256Point(key)) {
      return pushError(
        400,
        "applicationServerKey must be a base64url 65-byte uncompressed P-256 point",
      );
    }
    return c.json(await registry.subscribe(deps.origin(), key), 201);
  });

  app.post("/push/:id", async (c) => {
    const subscription = registry.byId(c.req.param("id"));
    if (!subscription) return pushError(404, "no such subscription");
    if (subscription.expired) {
      return pushError(410, "the subscription has expired");
    }
    const refusal = deps.rateLimit.refusal();
    if (refusal) return refusal;
    // The coding first: a pre-standard aesgcm sender also sends the old
    // "WebPush" Authorization, and the coding is what it must change.
    const headers = readPushHeaders(c.req.raw.headers);
    if (!headers.ok) return pushError(400, headers.reason);
    const vapid = await checkVapid(c.req.header("authorization") ?? null, {
      applicationServerKey: subscription.applicationServerKey,
      audience: new URL(subscription.endpoint).origin,
      now: Date.now(),
    });
    if (!vapid.ok) return pushError(vapid.status, vapid.reason);
    const declared = Number(c.req.header("content-length") ?? 0);
    if (declared > MAX_BODY_BYTES) return tooLarge(declared);
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.length > MAX_BODY_BYTES) return tooLarge(body.length);
    let plaintext: Uint8Array;
    try {
      plaintext = (await decryptAes128gcm(body, subscription.receiver))
        .plaintext;
    } catch (error) {
      if (error instanceof UndecryptableMessage) {
        return pushError(400, error.message);
      }
      throw error;
    }
    const message = registry.accept(subscription, {
      ...headers.options,
      payload: new TextDecoder().decode(plaintext),
      size: plaintext.length,
      receivedAt: new Date().toISOString(),
      claims: vapid.claims,
    });
    return c.body(null, 201, {
      Location: `${deps.origin()}/messages/${message.id}`,
      TTL: String(message.ttl),
    });
  });

  app.get("/messages", (c) => {
    const endpoint = c.req.query("endpoint");
    if (endpoint !== undefined && !registry.byEndpoint(endpoint)) {
      return pushError(404, "no subscription has that endpoint");
    }
    return c.json({ messages: registry.messages(endpoint).map(shown) });
  });
  app.get("/messages/:id", (c) => {
    const message = registry.message(c.req.param("id"));
    return message ? c.json(shown(message)) : pushError(404, "no such message");
  });
  app.delete("/messages", (c) => {
    registry.clearMessages();
    return c.json({ messages: [] });
  });

  app.post("/expire", async (c) => {
    const body = expireBody.safeParse(await readJson(c.req.raw));
    if (!body.success) return pushError(400, 'the body must be {"endpoint"}');
    if (!registry.expire(body.data.endpoint)) {
      return pushError(404, "no subscription has that endpoint");
    }
    deps.log(`push: ${body.data.endpoint} expired`);
    return c.json({ endpoint: body.data.endpoint, expired: true });
  });

  // How many pushes arrived so far, without reading them all: a benchmark
  // waits on it.
  app.get("/dev/stats", (c) => c.json(registry.stats()));

  app.get("/dev/rate-limit", (c) => c.json(deps.rateLimit.status()));
  app.post("/dev/rate-limit", async (c) => {
    const body = rateLimitBody.safeParse(await readJson(c.req.raw));
    if (!body.success) {
      return pushError(
        400,
        "the body takes share (0–1) and retryAfter (whole seconds)",
      );
    }
    const { share, retryAfter } = body.data;
    deps.rateLimit.set({
      ...(share === undefined ? {} : { share }),
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
    return c.json(deps.rateLimit.status());
  });
  app.delete("/dev/rate-limit", (c) => {
    deps.rateLimit.clear();
    return c.json(deps.rateLimit.status());
  });

  app.route("/", faultRoutes("/dev/faults", deps.faults));
  app.notFound(() => pushError(404, "no such route"));
  app.onError((error) => {
    deps.log(`push: ${error}`);
    return Response.json({ code: 500, error: "Internal Server Error" }, {
      status: 500,
    });
  });
  return app;
}

function shown(message: AcceptedMessage) {
  const { id, endpoint, payload, size, ttl, urgency, topic } = message;
  return {
    id,
    endpoint,
    payload,
    size,
    ttl,
    urgency,
    topic,
    receivedAt: message.receivedAt,
    claims: message.claims,
    replaced: message.replaced,
  };
}

function tooLarge(bytes: number): Response {
  return pushError(
    413,
    `the body is ${bytes} bytes; at most ${MAX_BODY_BYTES} are accepted`,
  );
}

async function readJson(request: Request): Promise<unknown> {
  try {
    return JSON.parse(await request.text());
  } catch {
    return undefined;
  }
}
