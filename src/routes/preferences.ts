import { Hono } from "hono";
import {
  preferencesPatchSchema,
  preferencesPutSchema,
} from "../domain/preferences.ts";
import { authenticate, requireSelfOrAdmin } from "../http/auth.ts";
import type { HonoEnv } from "../http/env.ts";
import { jsonBody } from "../http/json_body.ts";
import { readPreferences } from "../services/read_preferences.ts";
import { updatePreferences } from "../services/update_preferences.ts";

/** A user's notification preferences; every write reconciles at once. */
export const preferencesRoutes = new Hono<HonoEnv>()
  .use("/v1/users/:userId/preferences", authenticate, requireSelfOrAdmin)
  .get("/v1/users/:userId/preferences", async (c) => {
    return c.json(await readPreferences(c.get("deps"), c.req.param("userId")));
  })
  .put(
    "/v1/users/:userId/preferences",
    jsonBody(preferencesPutSchema),
    async (c) => {
      const result = await updatePreferences(
        c.get("deps"),
        c.req.param("userId"),
        { mode: "replace", overrides: c.req.valid("json") },
      );
      return c.json(result);
    },
  )
  .patch(
    "/v1/users/:userId/preferences",
    jsonBody(preferencesPatchSchema),
    async (c) => {
      const result = await updatePreferences(
        c.get("deps"),
        c.req.param("userId"),
        { mode: "merge", patch: c.req.valid("json") },
      );
      return c.json(result);
    },
  );
