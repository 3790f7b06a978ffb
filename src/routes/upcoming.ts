import { createRoute, z } from "@hono/zod-openapi";
import { authenticate, requireSelfOrAdmin } from "../http/auth.ts";
import { adminOrUser, errors, json, openApiRoutes } from "../http/openapi.ts";
import { upcomingFor } from "../services/schedules/upcoming.ts";

const MAX_DAYS = 31;

const upcomingItem = z.object({
  type: z.string().openapi({ example: "taskReminder" }),
  at: z.string().openapi({
    format: "date-time",
    description: "When it is delivered: the occurrence itself, or the end " +
      "of the user's quiet hours when they defer it.",
  }),
  localDate: z.string().openapi({ example: "2026-03-08" }),
  localTime: z.string().openapi({
    example: "02:30",
    description: "The time the user chose. On the day a spring-forward " +
      "gap removes it, `at` is as far past the gap as the time was into " +
      "it; on a repeated hour, the first of the two.",
  }),
  timezone: z.string().openapi({ example: "America/New_York" }),
  channels: z.object({
    push: z.boolean().openapi({
      description: "Whether the user chose Web Push for this type; false " +
        "while preferences have no push channel.",
    }),
  }),
  deferredBy: z.enum(["quietHours"]).nullable(),
  scheduledId: z.string().nullable().openapi({
    example: "sch_mxp6ugafcf3810fb1f994a40",
    description: "The one-off send (`deliverAt`, " +
      "`/v1/notifications/scheduled/{id}`) this item is an instant of; " +
      "null for a recurring occurrence. `localDate` and `localTime` then " +
      "name the instant in the user's zone.",
  }),
}).openapi("UpcomingOccurrence");

const upcomingBody = z.object({ items: z.array(upcomingItem) }).openapi(
  "Upcoming",
);

const read = createRoute({
  method: "get",
  operationId: "getUpcoming",
  path: "/v1/users/{userId}/upcoming",
  tags: ["Preferences"],
  summary: "What a user will be sent next",
  description: "The user's next occurrences, in delivery order, worked out " +
    "by the planner that delivery uses (DST-exact), and the instants of " +
    "their one-off `deliverAt` sends still to come (`scheduledId`), by the " +
    "rules their delivery applies. Switched-off types are absent; no " +
    "recurring occurrence is listed before a first save or while the " +
    "scheduler is stopped.",
  security: adminOrUser,
  middleware: [authenticate, requireSelfOrAdmin],
  request: {
    params: z.object({
      userId: z.string().min(1).max(200).openapi({
        param: { name: "userId", in: "path" },
        example: "user-42",
      }),
    }),
    query: z.strictObject({
      days: z.coerce.number().int().min(1).max(MAX_DAYS).default(7).openapi({
        description: `How far ahead, in days (1–${MAX_DAYS}).`,
      }),
    }),
  },
  responses: {
    200: json(upcomingBody, "The next occurrences, soonest first"),
    ...errors(400, 401, 403),
  },
});

/** `GET /v1/users/{userId}/upcoming`: the read model behind the console's timeline. */
export const upcomingRoutes = openApiRoutes().openapi(read, async (c) => {
  const { userId } = c.req.valid("param");
  const { days } = c.req.valid("query");
  const items = await upcomingFor({
    ctx: c.get("ctx"),
    query: { userId, days },
  });
  return c.json({
    items: items.map((o) => ({ ...o, at: new Date(o.at).toISOString() })),
  }, 200);
});
