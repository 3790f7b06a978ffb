/**
 * Headers as QStash reports them (`{"Content-Type": ["text/plain"]}`): Go's
 * canonical names mapping to value lists. Used for stored messages, schedule
 * objects and recorded responses.
 */
export type HeaderMap = Record<string, string[]>;

/** `x-foo-bar` → `X-Foo-Bar`, like Go's `CanonicalMIMEHeaderKey`. */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("-");
}

export function headerMapFrom(headers: Headers): HeaderMap {
  const map: HeaderMap = {};
  headers.forEach((value, name) => {
    (map[canonicalHeaderName(name)] ??= []).push(value);
  });
  return map;
}

export function headersFrom(map: HeaderMap): Headers {
  const headers = new Headers();
  for (const [name, values] of Object.entries(map)) {
    for (const value of values) headers.append(name, value);
  }
  return headers;
}
