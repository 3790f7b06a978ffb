import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { checkEndpointUrl } from "../../src/domain/webhooks/endpoint_url.ts";
import {
  eventFilterSchema,
  filterWants,
} from "../../src/domain/webhooks/event_types.ts";
import {
  FAILING_LIMIT_MS,
  judgeAttempt,
  newEndpointSecret,
  retryDelayMs,
  signingSecrets,
  WEBHOOK_RETRIES,
} from "../../src/domain/webhooks/delivery_policy.ts";
import { signStandardWebhook } from "../../src/adapters/standard_webhook_signer.ts";

const production = { allowLoopback: false };
const local = { allowLoopback: true };

Deno.test("checkEndpointUrl() accepts a public https URL and refuses http", () => {
  assert.deepEqual(
    checkEndpointUrl("https://hooks.example.com/h", production),
    {
      ok: true,
      url: "https://hooks.example.com/h",
    },
  );
  assert.equal(
    checkEndpointUrl("http://hooks.example.com/h", production).ok,
    false,
  );
  assert.equal(
    checkEndpointUrl("ftp://hooks.example.com/h", production).ok,
    false,
  );
  assert.equal(checkEndpointUrl("not a url", production).ok, false);
  assert.equal(
    checkEndpointUrl("https://u:p@example.com/", production).ok,
    false,
  );
});

Deno.test("checkEndpointUrl() refuses private, loopback and link-local hosts in production", () => {
  for (
    const host of [
      "127.0.0.1",
      "localhost",
      "api.localhost",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "[::1]",
      "[fe80::1]",
      "[fd00::1]",
      "[::ffff:127.0.0.1]",
      "[::ffff:10.0.0.1]",
      "printer.local",
      "metadata.google.internal",
      "intranet",
      "2130706433", // 127.0.0.1 as one number: URL normalises it
      "0x7f.1",
    ]
  ) {
    const verdict = checkEndpointUrl(`https://${host}/hook`, production);
    assert.equal(verdict.ok, false, host);
  }
  assert.equal(checkEndpointUrl("https://172.32.0.1/", production).ok, true);
  assert.equal(
    checkEndpointUrl("https://[2606:4700::1]/", production).ok,
    true,
  );
});

Deno.test("checkEndpointUrl() lets only the local stack call loopback, over http too", () => {
  assert.equal(checkEndpointUrl("http://127.0.0.1:9000/h", local).ok, true);
  assert.equal(checkEndpointUrl("http://localhost:9000/h", local).ok, true);
  assert.equal(checkEndpointUrl("http://10.0.0.1/h", local).ok, false);
  assert.equal(checkEndpointUrl("http://example.com/h", local).ok, false);
});

Deno.test('an event filter takes known names or "*" and refuses unknown ones', () => {
  assert.deepEqual(
    eventFilterSchema.parse(["notification.read", "notification.read"]),
    ["notification.read"],
  );
  assert.equal(
    eventFilterSchema.safeParse(["notification.opened"]).success,
    false,
  );
  assert.equal(eventFilterSchema.safeParse([]).success, false);
  assert.ok(filterWants(["*"], "job.run.failed"));
  assert.ok(filterWants(["job.run.failed"], "job.run.failed"));
  assert.ok(!filterWants(["job.run.completed"], "job.run.failed"));
});

Deno.test("judgeAttempt(): 2xx delivers, 410 disables, other answers retry", () => {
  const at = { retryAfter: null, failingSince: null, now: 1_000 };
  assert.deepEqual(judgeAttempt({ ...at, status: 204 }), {
    outcome: "delivered",
  });
  assert.deepEqual(judgeAttempt({ ...at, status: 410 }), {
    outcome: "disabled",
    reason: "gone",
  });
  for (const status of [301, 400, 500, null]) {
    assert.deepEqual(judgeAttempt({ ...at, status }), {
      outcome: "retry",
      retryAfterSeconds: null,
    });
  }
  assert.deepEqual(judgeAttempt({ ...at, status: 429, retryAfter: "120" }), {
    outcome: "retry",
    retryAfterSeconds: 120,
  });
  // Retry-After only where the spec honours it, and at most a day.
  assert.deepEqual(judgeAttempt({ ...at, status: 500, retryAfter: "120" }), {
    outcome: "retry",
    retryAfterSeconds: null,
  });
  assert.deepEqual(judgeAttempt({ ...at, status: 503, retryAfter: "999999" }), {
    outcome: "retry",
    retryAfterSeconds: 86_400,
  });
});

Deno.test("judgeAttempt() disables an endpoint that failed every attempt for five days", () => {
  const since = 1_000_000;
  assert.equal(
    judgeAttempt({
      status: 500,
      retryAfter: null,
      failingSince: since,
      now: since + FAILING_LIMIT_MS - 1,
    }).outcome,
    "retry",
  );
  assert.deepEqual(
    judgeAttempt({
      status: 500,
      retryAfter: null,
      failingSince: since,
      now: since + FAILING_LIMIT_MS,
    }),
    { outcome: "disabled", reason: "failing" },
  );
  // A success still counts as one, whatever came before.
  assert.equal(
    judgeAttempt({
      status: 200,
      retryAfter: null,
      failingSince: since,
      now: since + 2 * FAILING_LIMIT_MS,
    }).outcome,
    "delivered",
  );
});

Deno.test("the retry schedule runs from seconds to 10 h, about three days in all", () => {
  assert.equal(retryDelayMs(0), 5_000);
  assert.equal(retryDelayMs(1), 35_000);
  assert.equal(retryDelayMs(5), 36_000_000);
  let total = 0;
  for (let n = 0; n < WEBHOOK_RETRIES; n++) total += retryDelayMs(n);
  const hours = total / 3_600_000;
  assert.ok(hours > 60 && hours < 80, `${hours} h`);
});

Deno.test("signingSecrets() adds the previous secret only during the overlap", () => {
  const e = { secret: "new", previousSecret: "old", previousUntil: 2_000 };
  assert.deepEqual(signingSecrets(e, 1_999), ["new", "old"]);
  assert.deepEqual(signingSecrets(e, 2_000), ["new"]);
  assert.deepEqual(
    signingSecrets(
      { secret: "s", previousSecret: null, previousUntil: null },
      0,
    ),
    ["s"],
  );
});

Deno.test("signStandardWebhook() signs what the official library verifies, with either secret", () => {
  const a = newEndpointSecret();
  const b = newEndpointSecret();
  assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const body = JSON.stringify({
    type: "webhook.test",
    timestamp: "t",
    data: {},
  });
  const headers = signStandardWebhook({
    id: "msg_1",
    timestampSeconds: Math.floor(Date.now() / 1000),
    body,
    secrets: [a, b],
  });
  assert.equal(headers["webhook-signature"].split(" ").length, 2);
  for (const secret of [a, b]) {
    assert.deepEqual(
      new Webhook(secret).verify(body, { ...headers }),
      JSON.parse(body),
    );
  }
  assert.throws(() =>
    new Webhook(newEndpointSecret()).verify(body, { ...headers })
  );
});
