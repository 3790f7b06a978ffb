import { buildPushPayload } from "@block65/webcrypto-web-push";

/**
 * The floor of bench/push_crypto.ts, bundled into a bare Worker: the
 * library's own `buildPushPayload()` (its VAPID headers and RFC 8291
 * encryption) for the same subscription and payload, n times a request
 * (`GET /?n=`), nothing else. `?n=0` is the request alone.
 */
interface Env {
  SUBSCRIPTION: string;
  PAYLOAD: string;
  VAPID_PUBLIC_KEY: string;
  VAPID_PRIVATE_KEY: string;
  VAPID_SUBJECT: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const n = Number(new URL(request.url).searchParams.get("n") ?? 1);
    const subscription = JSON.parse(env.SUBSCRIPTION);
    const vapid = {
      subject: env.VAPID_SUBJECT,
      publicKey: env.VAPID_PUBLIC_KEY,
      privateKey: env.VAPID_PRIVATE_KEY,
    };
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const built = await buildPushPayload(
        {
          data: env.PAYLOAD,
          options: { ttl: 86_400, urgency: "normal", topic: "bench" },
        },
        subscription,
        vapid,
      );
      bytes += built.body.byteLength;
    }
    return Response.json({ pushes: n, bytes });
  },
};
