import assert from "node:assert/strict";
import { createHerald, streamUrl } from "../../src/sdk/mod.ts";
import { heraldUrl } from "../../src/client/herald_url.ts";
import { markReadRequest } from "../../src/client/push_message.ts";
import { InboxApi } from "../../src/client/inbox/inbox_api.ts";

Deno.test("streamUrl() keeps the path Herald is mounted under, with or without its trailing slash", () => {
  for (
    const base of ["https://app.example/herald/", "https://app.example/herald"]
  ) {
    assert.equal(
      streamUrl(base, "tok"),
      "https://app.example/herald/v1/stream?token=tok",
      base,
    );
  }
  assert.equal(
    streamUrl("https://app.example/a/b//", "tok"),
    "https://app.example/a/b/v1/stream?token=tok",
  );
});

Deno.test("streamUrl() at the origin, with or without a slash, is /v1/stream", () => {
  for (const base of ["https://herald.example", "https://herald.example/"]) {
    assert.equal(
      streamUrl(base, "tok"),
      "https://herald.example/v1/stream?token=tok",
      base,
    );
  }
});

Deno.test("streamUrl() keeps the base's query, drops its fragment, and encodes the token", () => {
  assert.equal(
    streamUrl("https://app.example/herald/?tenant=a%20b#top", "t.k+n/="),
    "https://app.example/herald/v1/stream?tenant=a+b&token=t.k%2Bn%2F%3D",
  );
  assert.equal(
    streamUrl("https://app.example/herald?token=stale", "fresh"),
    "https://app.example/herald/v1/stream?token=fresh",
    "the fresh token replaces one already in the base",
  );
});

Deno.test("createHerald() under a base path mints stream URLs under it", async () => {
  for (
    const url of ["https://app.example/herald/", "https://app.example/herald"]
  ) {
    const herald = createHerald({
      url,
      token: "admin",
      jwtSecret: "s".repeat(32),
    });
    const { token, url: stream } = await herald.tokens.stream("u1");
    assert.equal(
      stream,
      `https://app.example/herald/v1/stream?token=${encodeURIComponent(token)}`,
    );
  }
});

Deno.test("createHerald() under a base path sends its calls and the stream-token request under it", async () => {
  const paths: string[] = [];
  const server = Deno.serve({ port: 0, onListen() {} }, (req) => {
    paths.push(new URL(req.url).pathname);
    return Response.json({
      token: "tok",
      expiresAt: "2026-12-07T00:00:00.000Z",
      url: "ignored",
      ok: true,
    });
  });
  try {
    for (const suffix of ["/herald/", "/herald"]) {
      paths.length = 0;
      const herald = createHerald({
        url: `http://127.0.0.1:${server.addr.port}${suffix}`,
        token: "user-token",
      });
      await herald.tokens.fetchStream();
      await herald.preferences.get("u1");
      assert.deepEqual(paths, [
        "/herald/v1/stream/token",
        "/herald/v1/users/u1/preferences",
      ], suffix);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("heraldUrl() puts a path's own query beside the base's, encoded as given", () => {
  assert.equal(
    heraldUrl(
      "https://app.example/herald/?tenant=a",
      "v1/users/u%2F1/push-subscriptions?endpoint=https%3A%2F%2Fp.example%2Fx%3Fy%3D1",
    ).href,
    "https://app.example/herald/v1/users/u%2F1/push-subscriptions" +
      "?tenant=a&endpoint=https%3A%2F%2Fp.example%2Fx%3Fy%3D1",
  );
  assert.equal(
    heraldUrl("https://app.example/herald#top", "v1/types").href,
    "https://app.example/herald/v1/types",
  );
});

Deno.test("the browser client's calls under a base path stay under it, as the SDK's do", async () => {
  const token = `h.${btoa(JSON.stringify({ sub: "u1" }))}.s`;
  for (
    const base of ["https://app.example/herald/", "https://app.example/herald"]
  ) {
    const urls: string[] = [];
    const api = new InboxApi({
      baseUrl: base,
      getToken: () => Promise.resolve(token),
      fetch: (input) => {
        urls.push(String(input));
        return Promise.resolve(
          Response.json({ unread: 0, items: [], nextCursor: null }),
        );
      },
    });
    await api.count();
    await api.page("c/1", 5);
    assert.deepEqual(urls, [
      "https://app.example/herald/v1/users/u1/notifications/count",
      "https://app.example/herald/v1/users/u1/notifications?limit=5&cursor=c%2F1",
    ], base);
    assert.equal(
      markReadRequest({ id: "n 1", url: "/", actionToken: "a+t" }, base)?.url,
      "https://app.example/herald/v1/notifications/n%201/read?token=a%2Bt",
      base,
    );
  }
});
