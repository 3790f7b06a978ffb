import { createPushSealer } from "../../../src/adapters/web_push_client.ts";
import {
  deliveryOf,
  encodePayload,
  type PushPayload,
  topicOf,
} from "../../../src/domain/push/push_message.ts";
import { issuePushActionToken } from "../../../src/http/auth.ts";

/**
 * Herald's own per-push work for bench/push_crypto.ts, bundled into a
 * Worker: what services/push/send_pushes.ts does for each push of a batch
 * between reading the rows and the fetch. `GET /seal?n=` seals n pushes
 * (RFC 8291 encryption and the VAPID token, adapters/web_push_client.ts);
 * `GET /push?n=` also builds each payload with its action token, as a
 * batch does. One sealer per request, as Herald composes its deps per
 * request. `/seal?n=0` is the request alone.
 */
interface Env {
  SUBSCRIPTION: string;
  PAYLOAD: string;
  VAPID_PUBLIC_KEY: string;
  VAPID_PRIVATE_KEY: string;
  VAPID_SUBJECT: string;
  JWT_SECRET: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 1);
    const withPayload = url.pathname === "/push";
    const target = JSON.parse(env.SUBSCRIPTION);
    const base: PushPayload = JSON.parse(env.PAYLOAD);
    const seal = createPushSealer({
      publicKey: env.VAPID_PUBLIC_KEY,
      privateKey: env.VAPID_PRIVATE_KEY,
      subject: env.VAPID_SUBJECT,
    });
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const payload = withPayload
        ? encodePayload({
          ...base,
          actionToken: await issuePushActionToken({
            userId: "bench-user",
            notificationId: base.id,
            jwtSecret: env.JWT_SECRET,
          }),
        }, true)
        : env.PAYLOAD;
      const sealed = await seal(
        { endpoint: target.endpoint, ...target.keys },
        { payload, ...deliveryOf(base.severity), topic: topicOf(base.id) },
      );
      bytes += sealed.body.byteLength;
    }
    return Response.json({ pushes: n, bytes });
  },
};
