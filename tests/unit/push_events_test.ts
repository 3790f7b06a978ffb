import assert from "node:assert/strict";
import { subscriptionRemovedEvents } from "../../src/domain/webhooks/push_events.ts";
import {
  notificationCreated,
  notificationDelivered,
} from "../../src/domain/webhooks/notification_events.ts";

Deno.test("subscriptionRemovedEvents() says the endpoint's origin, never its path", () => {
  const endpoint = "https://fcm.googleapis.com/fcm/send/dGhpcy1pcy1zZWNyZXQ";
  const [event, ...rest] = subscriptionRemovedEvents(
    [{ userId: "ada", endpoint, label: "Phone" }],
    "410",
  );
  assert.equal(rest.length, 0);
  assert.deepEqual(event, {
    type: "push.subscription.removed",
    data: {
      userId: "ada",
      endpointOrigin: "https://fcm.googleapis.com",
      label: "Phone",
      reason: "410",
    },
  });
  assert.ok(!JSON.stringify(event).includes("dGhpcy1pcy1zZWNyZXQ"));
});

Deno.test("notificationDelivered() carries both channels' counts beside notificationCreated()", () => {
  const n = {
    id: "ntf_1",
    type: "orders.new",
    severity: "high",
    audiences: ["role:ops"],
    createdAt: Date.UTC(2026, 11, 8, 9),
  };
  assert.deepEqual(notificationCreated(n).data, {
    notificationId: "ntf_1",
    type: "orders.new",
    severity: "high",
    audiences: ["role:ops"],
    createdAt: "2026-12-08T09:00:00.000Z",
  });
  assert.deepEqual(notificationDelivered(n, { live: 3, push: 7 }), {
    type: "notification.delivered",
    data: {
      notificationId: "ntf_1",
      type: "orders.new",
      channels: { live: 3, push: 7 },
    },
  });
});
