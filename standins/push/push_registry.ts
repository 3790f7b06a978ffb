/**
 * What the push service holds, in memory only: the subscriptions it handed
 * out (with the private keys a browser would keep, so it can decrypt) and
 * the messages it accepted for them, in arrival order. Nothing is
 * persisted; a restart forgets everything.
 */
import { encodeBase64url } from "./base64url.ts";
import type { ReceiverKeys } from "./aes128gcm.ts";
import type { PushOptions } from "./push_headers.ts";
import type { VapidClaims } from "./vapid.ts";

type Bytes = Uint8Array<ArrayBuffer>;

/** `PushSubscription.toJSON()` as a browser gives it. */
export interface PushSubscriptionJson {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
}

export interface Subscription {
  id: string;
  endpoint: string;
  applicationServerKey: Bytes;
  receiver: ReceiverKeys;
  expired: boolean;
}

export interface AcceptedMessage extends PushOptions {
  id: string;
  endpoint: string;
  /** The decrypted plaintext as UTF-8 text. */
  payload: string;
  /** Plaintext bytes. */
  size: number;
  receivedAt: string;
  claims: VapidClaims;
  /**
   * A later message with the same Topic arrived for this endpoint. Nothing
   * is delivered to a browser here, so every message stays undelivered and
   * the older one is marked replaced (kept, so a test sees both).
   */
  replaced: boolean;
}

export class PushRegistry {
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #byEndpoint = new Map<string, Subscription>();
  #messages: AcceptedMessage[] = [];
  // Each endpoint's messages, so a Topic's replacement looks at one
  // device's messages, not every message (a benchmark pushes thousands).
  #messagesAt = new Map<string, AcceptedMessage[]>();
  #accepted = 0;

  /** A fresh subscription restricted to `applicationServerKey`. */
  async subscribe(
    origin: string,
    applicationServerKey: Bytes,
  ): Promise<PushSubscriptionJson> {
    const pair = await crypto.subtle.generateKey(
      { name: "ECDH", namedCurve: "P-256" },
      false,
      ["deriveBits"],
    ) as CryptoKeyPair;
    const publicKey = new Uint8Array(
      await crypto.subtle.exportKey("raw", pair.publicKey),
    );
    const authSecret = crypto.getRandomValues(new Uint8Array(16));
    const id = randomId();
    const subscription: Subscription = {
      id,
      endpoint: `${origin}/push/${id}`,
      applicationServerKey,
      receiver: { privateKey: pair.privateKey, publicKey, authSecret },
      expired: false,
    };
    this.#subscriptions.set(id, subscription);
    this.#byEndpoint.set(subscription.endpoint, subscription);
    return {
      endpoint: subscription.endpoint,
      expirationTime: null,
      keys: {
        p256dh: encodeBase64url(publicKey),
        auth: encodeBase64url(authSecret),
      },
    };
  }

  byId(id: string): Subscription | undefined {
    return this.#subscriptions.get(id);
  }

  byEndpoint(endpoint: string): Subscription | undefined {
    return this.#byEndpoint.get(endpoint);
  }

  /** Later pushes to it answer 410; false for an unknown endpoint. */
  expire(endpoint: string): boolean {
    const subscription = this.#byEndpoint.get(endpoint);
    if (!subscription) return false;
    subscription.expired = true;
    return true;
  }

  accept(
    subscription: Subscription,
    message: Omit<AcceptedMessage, "id" | "endpoint" | "replaced">,
  ): AcceptedMessage {
    const earlier = this.#messagesAt.get(subscription.endpoint) ?? [];
    if (message.topic !== null) {
      for (const older of earlier) {
        if (older.topic === message.topic) older.replaced = true;
      }
    }
    const accepted: AcceptedMessage = {
      id: randomId(),
      endpoint: subscription.endpoint,
      ...message,
      replaced: false,
    };
    this.#messages.push(accepted);
    earlier.push(accepted);
    this.#messagesAt.set(subscription.endpoint, earlier);
    this.#accepted++;
    return accepted;
  }

  /** In arrival order; every endpoint's when none is given. */
  messages(endpoint?: string): AcceptedMessage[] {
    return endpoint === undefined
      ? [...this.#messages]
      : [...this.#messagesAt.get(endpoint) ?? []];
  }

  /**
   * How many subscriptions it handed out, and how many pushes it accepted
   * since it started (clearing the messages does not reset it).
   */
  stats(): { subscriptions: number; accepted: number } {
    return {
      subscriptions: this.#subscriptions.size,
      accepted: this.#accepted,
    };
  }

  message(id: string): AcceptedMessage | undefined {
    return this.#messages.find((m) => m.id === id);
  }

  /** Forgets the messages; the subscriptions stay. */
  clearMessages(): void {
    this.#messages = [];
    this.#messagesAt = new Map();
  }
}

function randomId(): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(16)));
}
