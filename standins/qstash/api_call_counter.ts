/**
 * Counts the API calls the dev server answers, by method and route shape
 * (ids folded away), leaving out the dev-only routes themselves.
 */
export class ApiCallCounter {
  #total = 0;
  readonly #byRoute = new Map<string, number>();

  count(method: string, path: string): void {
    if (path.startsWith("/v2/dev/")) return;
    this.#total++;
    const key = `${method} ${routeShape(path)}`;
    this.#byRoute.set(key, (this.#byRoute.get(key) ?? 0) + 1);
  }

  snapshot(): { requests: number; byRoute: Record<string, number> } {
    return {
      requests: this.#total,
      byRoute: Object.fromEntries([...this.#byRoute].sort()),
    };
  }
}

/** "/v2/schedules/abc/pause" → "/v2/schedules/:id/pause"; destinations folded. */
function routeShape(path: string): string {
  const [, version, resource, id, action] = path.split("/");
  if (
    resource === "publish" ||
    (resource === "schedules" && id?.startsWith("http"))
  ) {
    return `/${version}/${resource}/:destination`;
  }
  return [`/${version}`, resource, id && ":id", action].filter(Boolean).join(
    "/",
  );
}
