import { type InboxPage, parsePage, parseUnread } from "./inbox_item.ts";
import { parsePayload } from "../stream_events.ts";
import { heraldUrl } from "../herald_url.ts";

/**
 * The user's side of Herald's HTTP API, from the browser: the inbox pages,
 * the count, marking read, and stream tokens. Every call asks for the
 * token again, so an app's `tokenProvider` can refresh it; the user id is
 * the token's `sub`.
 */
export interface InboxApiOptions {
  /** Herald's base URL; a path prefix ("/herald") is kept. */
  baseUrl: string;
  /** The user's JWT (HS256 with Herald's JWT_SECRET, `sub` = user id). */
  getToken: () => Promise<string>;
  fetch?: typeof fetch;
}

/** A refused or failed call, with the envelope's message when there is one. */
export class InboxApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = "InboxApiError";
  }
}

/** The `sub` of a JWT, read without verifying it (Herald does that). */
export function tokenSubject(token: string): string | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const sub = parsePayload(json)?.sub;
    return typeof sub === "string" && sub !== "" ? sub : null;
  } catch {
    return null;
  }
}

export class InboxApi {
  readonly #options: InboxApiOptions;

  constructor(options: InboxApiOptions) {
    this.#options = options;
  }

  get baseUrl(): string {
    return this.#options.baseUrl;
  }

  async #call(
    path: (userId: string) => string,
    method: "GET" | "POST",
  ): Promise<unknown> {
    const token = await this.#options.getToken();
    const userId = tokenSubject(token);
    if (userId === null) {
      throw new InboxApiError("The token names no user (no sub)", 401);
    }
    const doFetch = this.#options.fetch ?? fetch;
    const res = await doFetch(
      heraldUrl(this.#options.baseUrl, path(userId)).href,
      {
        method,
        headers: { authorization: `Bearer ${token}` },
      },
    );
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const error = typeof body === "object" && body !== null
        ? Object.entries(body).find(([k]) => k === "error")?.[1]
        : null;
      const message = typeof error === "object" && error !== null &&
          "message" in error && typeof error.message === "string"
        ? error.message
        : `Herald answered ${res.status}`;
      throw new InboxApiError(message, res.status);
    }
    return body;
  }

  async page(cursor: string | null, limit = 20): Promise<InboxPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    const page = parsePage(
      await this.#call((u) => `${inbox(u)}?${query}`, "GET"),
    );
    if (!page) throw new InboxApiError("Herald sent no inbox page", 502);
    return page;
  }

  count(): Promise<number> {
    return this.#unread((u) => `${inbox(u)}/count`, "GET");
  }

  /** Marks one read; the new unread count. */
  read(id: string): Promise<number> {
    return this.#unread(
      (u) => `${inbox(u)}/${encodeURIComponent(id)}/read`,
      "POST",
    );
  }

  readAll(): Promise<number> {
    return this.#unread((u) => `${inbox(u)}/read-all`, "POST");
  }

  /** A short-lived stream token for `/v1/stream`. */
  async streamToken(): Promise<string> {
    const body = await this.#call(() => "v1/stream/token", "POST");
    const token = typeof body === "object" && body !== null && "token" in body
      ? body.token
      : null;
    if (typeof token !== "string") {
      throw new InboxApiError("Herald sent no stream token", 502);
    }
    return token;
  }

  /** True when Herald has push configured (its VAPID key is served). */
  async pushConfigured(): Promise<boolean> {
    const doFetch = this.#options.fetch ?? fetch;
    try {
      const res = await doFetch(
        heraldUrl(this.#options.baseUrl, "v1/push/vapid-key").href,
        {
          headers: {
            authorization: `Bearer ${await this.#options.getToken()}`,
          },
        },
      );
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  async #unread(
    path: (userId: string) => string,
    method: "GET" | "POST",
  ): Promise<number> {
    const unread = parseUnread(await this.#call(path, method));
    if (unread === null) throw new InboxApiError("Herald sent no count", 502);
    return unread;
  }
}

const inbox = (userId: string) =>
  `v1/users/${encodeURIComponent(userId)}/notifications`;
