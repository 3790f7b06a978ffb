/**
 * Herald's public API, as the console calls it: the admin key lives in
 * sessionStorage only (gone with the tab, never in a URL), and every call
 * sends it as a bearer token.
 */
const KEY = "herald.adminKey";

export const adminKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export interface FieldError {
  path: string;
  message: string;
}

/** An answer that was not 2xx, with the envelope's message and fields. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: readonly FieldError[] = [],
  ) {
    super(message);
  }
}

interface Envelope {
  error?: { message?: string; fields?: FieldError[] };
}

async function call(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${adminKey.get()}` });
  if (init.body !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(path, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.ok) return res;
  const envelope: Envelope = await res.json().catch(() => ({}));
  throw new ApiError(
    res.status,
    envelope.error?.message ?? `HTTP ${res.status}`,
    envelope.error?.fields ?? [],
  );
}

/**
 * A JSON answer, typed as the OpenAPI document describes it: the console
 * reads only Herald's own documented answers (whatever else arrives is an
 * ApiError), so it declares their shapes rather than parsing them again.
 */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  return (await (await call(path, init)).json()) as T;
}

/** A text answer (`/metrics`). */
export async function apiText(path: string): Promise<string> {
  return await (await call(path)).text();
}

export const enc = encodeURIComponent;
