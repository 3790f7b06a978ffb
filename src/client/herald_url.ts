/**
 * `path` under Herald's base URL: the one join the browser client, the
 * service worker and the server SDK all make. Herald may be mounted under a
 * path (`https://app.example/herald/`), so `path` (relative, no leading
 * slash; it may carry its own query) goes after the base's own path, with
 * or without its trailing slash, where `new URL("/v1/…", base)` would
 * resolve against the origin and drop it. The base's query stays (a proxy
 * in front may need it), its fragment does not. A relative base ("/herald")
 * resolves against the page, as fetch would.
 */
export function heraldUrl(baseUrl: string, path: string): URL {
  const page = typeof document === "undefined" ? undefined : document.baseURI;
  const url = new URL(baseUrl, page);
  const question = path.indexOf("?");
  const pathname = question < 0 ? path : path.slice(0, question);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${pathname}`;
  url.hash = "";
  if (question >= 0) {
    for (const [key, value] of new URLSearchParams(path.slice(question + 1))) {
      url.searchParams.append(key, value);
    }
  }
  return url;
}

/**
 * `<base>/v1/stream?token=…`, ready for `new EventSource(url)`: a stream
 * token (EventSource cannot set headers), and for a reconnecting client the
 * last event id to resume from (a new EventSource starts without one). A
 * token already in the base is replaced.
 */
export function streamUrl(
  baseUrl: string,
  streamToken: string,
  lastEventId: string | null = null,
): string {
  const url = heraldUrl(baseUrl, "v1/stream");
  url.searchParams.set("token", streamToken);
  if (lastEventId) url.searchParams.set("lastEventId", lastEventId);
  return url.href;
}
