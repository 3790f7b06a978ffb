import { createRoute, z } from "@hono/zod-openapi";
import { WEEKDAYS } from "../domain/time/weekday.ts";
import { SEVERITIES } from "../domain/delivery/notification.ts";
import { PUSH_POLICIES } from "../domain/push/push_policy.ts";
import {
  typeCreateSchema,
  typeDefinitionSchema,
  typeIdSchema,
  typePatchSchema,
} from "../domain/catalogue/notification_type.ts";
import { authenticate, requireAdmin } from "../http/auth.ts";
import { jsonOnly } from "../http/json_body.ts";
import {
  adminOnly,
  errors,
  json,
  jsonRequest,
  openApiRoutes,
} from "../http/openapi.ts";
import {
  createType,
  getTypeView,
  listTypeViews,
  patchType,
  putType,
  removeType,
  RETYPE_PACE,
} from "../services/catalogue/notification_types.ts";
import { operationQuery, operationView, paceOf } from "./scheduler_schemas.ts";

const instant = z.string().openapi({ format: "date-time" });

const notificationType = z.object({
  id: z.string().openapi({ example: "morningDigest" }),
  label: z.string(),
  description: z.string(),
  enabled: z.boolean().openapi({
    description: "Whether it is on for a user who never said.",
  }),
  times: z.array(z.string()).openapi({ example: ["08:00"] }),
  days: z.array(z.enum(WEEKDAYS)),
  template: z.object({ title: z.string(), body: z.string() }).openapi({
    description: "Placeholders: {{localDate}}, {{localTime}}, {{weekday}}, " +
      "{{timezone}}, {{userId}}, {{label}}, and {{data.<key>}} for what " +
      "the content webhook answers.",
  }),
  severity: z.enum(SEVERITIES),
  webhook: z.string().nullable().openapi({
    description: "The host app's content webhook, called at each " +
      "occurrence; its `{title?, body?, data?}` fills the notification.",
  }),
  critical: z.boolean().openapi({
    description: "Users cannot switch it off; it fires even while their " +
      "notifications are off.",
  }),
  channels: z.object({
    push: z.enum(PUSH_POLICIES).openapi({
      description: "Web Push by default: `off`; `offline` (only to a user " +
        "no live connection took it); `always` (as well as live). Users " +
        "switch it on or off in their preferences.",
    }),
  }),
  digest: z.object({ window: z.string(), max: z.number().int() }).nullable()
    .openapi({
      description: "Posts with a `digestKey` join one inbox item per " +
        "user and key within `window` (1m–24h), up to `max`; its title " +
        "may use {{digest.count}}.",
    }),
  version: z.number().int(),
  createdAt: instant,
  updatedAt: instant,
}).openapi("NotificationType");

const changed = z.object({
  type: notificationType,
  operation: operationView.nullable().openapi({
    description: "The walk over the users this change moves (poll " +
      "`/v1/scheduler/operations/{id}`); null when it moves nobody.",
  }),
});

const params = z.object({
  id: typeIdSchema.openapi({
    param: { name: "id", in: "path" },
    example: "morningDigest",
  }),
});

const tags = ["Catalogue"];
const admin = {
  tags,
  security: adminOnly,
  middleware: [authenticate, requireAdmin],
};
const writes = {
  tags,
  security: adminOnly,
  middleware: [authenticate, requireAdmin, jsonOnly],
};
const one = "/v1/types/{id}";
const MOVES = "Users whose schedules the change moves are walked after " +
  "it is saved (an operation of kind `retype`, paged and resumable): " +
  "those who follow a changed default, and nobody who chose that field " +
  "for themselves.";

const list = createRoute({
  method: "get",
  operationId: "listTypes",
  path: "/v1/types",
  summary: "List the catalogue",
  description: "Every notification type, in the order they were made.",
  ...admin,
  responses: {
    200: json(z.object({ types: z.array(notificationType) }), "The types"),
    ...errors(401, 403),
  },
});

const read = createRoute({
  method: "get",
  operationId: "getType",
  path: one,
  summary: "One notification type",
  ...admin,
  request: { params },
  responses: {
    200: json(z.object({ type: notificationType }), "The type"),
    ...errors(400, 401, 403, 404),
  },
});

const create = createRoute({
  method: "post",
  operationId: "createType",
  path: "/v1/types",
  summary: "Add a notification type",
  description:
    `The id must be free (409 otherwise) and never changes. ${MOVES}`,
  ...writes,
  request: { query: operationQuery, body: jsonRequest(typeCreateSchema) },
  responses: {
    201: json(changed, "Made"),
    ...errors(400, 401, 403, 409, 413, 415),
  },
});

const put = createRoute({
  method: "put",
  operationId: "putType",
  path: one,
  summary: "Define or replace a notification type",
  description: `Fields left out take their defaults. ${MOVES}`,
  ...writes,
  request: {
    params,
    query: operationQuery,
    body: jsonRequest(typeDefinitionSchema),
  },
  responses: {
    200: json(changed, "Replaced"),
    201: json(changed, "Made"),
    ...errors(400, 401, 403, 409, 413, 415),
  },
});

const patch = createRoute({
  method: "patch",
  operationId: "updateType",
  path: one,
  summary: "Change some fields of a notification type",
  description: `The id cannot be changed. ${MOVES}`,
  ...writes,
  request: {
    params,
    query: operationQuery,
    body: jsonRequest(typePatchSchema),
  },
  responses: {
    200: json(changed, "Changed"),
    ...errors(400, 401, 403, 404, 409, 413, 415),
  },
});

const remove = createRoute({
  method: "delete",
  operationId: "deleteType",
  path: one,
  summary: "Delete a notification type",
  description: "Every schedule of it goes, walked like a change. Users' " +
    "own choices about it are kept and apply again if the id is reused. " +
    "Refused (409) while a fan-out job sends it.",
  ...admin,
  request: { params, query: operationQuery },
  responses: {
    200: json(
      z.object({
        deleted: z.string(),
        operation: operationView.nullable(),
      }),
      "Deleted",
    ),
    ...errors(400, 401, 403, 404, 409),
  },
});

function pace(q: z.output<typeof operationQuery>) {
  return { ...RETYPE_PACE, ...paceOf(q) };
}

/** The operator's catalogue of notification types (admin key). */
export const typeRoutes = openApiRoutes()
  .openapi(list, async (c) => {
    return c.json({ types: await listTypeViews({ ctx: c.get("ctx") }) }, 200);
  })
  .openapi(read, async (c) => {
    const type = await getTypeView({
      ctx: c.get("ctx"),
      id: c.req.valid("param").id,
    });
    return c.json({ type }, 200);
  })
  .openapi(create, async (c) => {
    const result = await createType({
      ctx: c.get("ctx"),
      type: c.req.valid("json"),
      pace: pace(c.req.valid("query")),
    });
    return c.json(result, 201);
  })
  .openapi(put, async (c) => {
    const { created, ...result } = await putType({
      ctx: c.get("ctx"),
      id: c.req.valid("param").id,
      definition: c.req.valid("json"),
      pace: pace(c.req.valid("query")),
    });
    return created ? c.json(result, 201) : c.json(result, 200);
  })
  .openapi(patch, async (c) => {
    const result = await patchType({
      ctx: c.get("ctx"),
      id: c.req.valid("param").id,
      patch: c.req.valid("json"),
      pace: pace(c.req.valid("query")),
    });
    return c.json(result, 200);
  })
  .openapi(remove, async (c) => {
    const result = await removeType({
      ctx: c.get("ctx"),
      id: c.req.valid("param").id,
      pace: pace(c.req.valid("query")),
    });
    return c.json(result, 200);
  });
