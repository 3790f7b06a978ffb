import { hc, type InferRequestType, type InferResponseType } from "hono/client";
import type { App } from "../app.ts";
import { z } from "zod";
import { type ErrorResponse, heraldError } from "./errors.ts";
import {
  createStreamToken,
  createUserToken,
  type UserClaims,
} from "./tokens.ts";
import { heraldUrl, streamUrl } from "../client/herald_url.ts";

export interface HeraldOptions {
  /**
   * Herald's base URL, e.g. `https://herald.example.com`, or with the path
   * it is mounted under (`https://app.example/herald/`).
   */
  url: string;
  /** The bearer every call sends: the admin key, or a user's token. */
  token: string;
  /** `JWT_SECRET`, to mint user and stream tokens locally. */
  jwtSecret?: string;
  fetch?: typeof fetch;
}

type Api = ReturnType<typeof hc<App>>;
type Users = Api["v1"]["users"][":userId"];
type Scheduler = Api["v1"]["scheduler"];
type Job = Scheduler["jobs"][":id"];

/** Request bodies and queries, as the routes declare them. */
export type PreferencesPut = InferRequestType<
  Users["preferences"]["$put"]
>["json"];
export type PreferencesPatch = InferRequestType<
  Users["preferences"]["$patch"]
>["json"];
export type NotificationInput = InferRequestType<
  Api["v1"]["notifications"]["$post"]
>["json"];
/** A send's answer: `{notification, created}`, or `{scheduled}` with `deliverAt`. */
export type SendAnswer = InferResponseType<
  Api["v1"]["notifications"]["$post"],
  200 | 201 | 202
>;
export type InboxQuery = InferRequestType<
  Users["notifications"]["$get"]
>["query"];
export type StatusQuery = InferRequestType<Scheduler["status"]["$get"]>[
  "query"
];
export type OperationQuery = InferRequestType<Scheduler["restart"]["$post"]>[
  "query"
];
export type JobPut = InferRequestType<Job["$put"]>["json"];
type NotificationTypeRoute = Api["v1"]["types"][":id"];
export type TypeCreate = InferRequestType<Api["v1"]["types"]["$post"]>["json"];
export type TypeDefinition = InferRequestType<
  NotificationTypeRoute["$put"]
>["json"];
export type TypePatch = InferRequestType<
  NotificationTypeRoute["$patch"]
>["json"];

const streamTokenBody = z.object({
  token: z.string(),
  expiresAt: z.string(),
  url: z.string(),
}).parse;

/**
 * A response as hc types it: success members have `ok: true` and the
 * documented body; the rest are errors in the one envelope.
 */
type Answer<T> =
  | { ok: true; json(): Promise<T> }
  | (ErrorResponse & { ok: false });

/** The success body, or a `HeraldError` with the envelope's code. */
async function answer<T>(pending: Promise<Answer<T>>): Promise<T> {
  const res = await pending;
  if (!res.ok) throw await heraldError(res);
  return await res.json();
}

/**
 * Herald's typed server SDK: Hono's `hc` client over the app's own type,
 * so every path, parameter, body and response is checked against the
 * routes themselves. Calls resolve with the documented body or throw a
 * `HeraldError`.
 */
export function createHerald(opts: HeraldOptions) {
  const api = hc<App>(opts.url, {
    headers: { authorization: `Bearer ${opts.token}` },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const users = api.v1.users[":userId"];
  const param = (userId: string) => ({ param: { userId } });
  const job = api.v1.scheduler.jobs[":id"];
  const type = api.v1.types[":id"];
  const secret = () => {
    if (!opts.jwtSecret) {
      throw new Error("Pass jwtSecret to createHerald() to mint tokens");
    }
    return opts.jwtSecret;
  };

  const post = (input: NotificationInput, o: { idempotencyKey?: string }) =>
    answer<SendAnswer>(api.v1.notifications.$post(
      { json: input, header: {} },
      o.idempotencyKey === undefined
        ? {}
        : { headers: { "idempotency-key": o.idempotencyKey } },
    ));

  return {
    /** The same SDK with another bearer (e.g. a user's token). */
    withToken: (token: string) => createHerald({ ...opts, token }),

    health: () => answer(api.health.$get()),

    preferences: {
      get: (userId: string) => answer(users.preferences.$get(param(userId))),
      /** Replaces what the user chose; reconciles their schedules at once. */
      replace: (userId: string, body: PreferencesPut) =>
        answer(users.preferences.$put({ ...param(userId), json: body })),
      /** Merges field by field; `quietHours: null` clears the window. */
      update: (userId: string, patch: PreferencesPatch) =>
        answer(
          users.preferences.$patch({ ...param(userId), json: patch }),
        ),
    },

    notifications: {
      /** To `userId`, `userIds`, `roles` or `topic`; the same key answers the first one. */
      send: async (
        input: NotificationInput,
        o: { idempotencyKey?: string } = {},
      ) => {
        const body = await post(input, o);
        if ("notification" in body) return body;
        throw new Error("A send with deliverAt is scheduled: use schedule()");
      },
      /** With `deliverAt`: scheduled, answered with `{scheduled}` (202). */
      schedule: async (
        input: NotificationInput & { deliverAt: string },
        o: { idempotencyKey?: string } = {},
      ) => {
        const body = await post(input, o);
        if ("scheduled" in body) return body;
        throw new Error("Herald sent at once what was to be scheduled");
      },
      /** A `deliverAt` send, and cancelling what it has not delivered. */
      scheduled: {
        get: (id: string) =>
          answer(api.v1.notifications.scheduled[":id"].$get({ param: { id } })),
        cancel: (id: string) =>
          answer(
            api.v1.notifications.scheduled[":id"].$delete({ param: { id } }),
          ),
      },
    },

    inbox: {
      list: (userId: string, query: InboxQuery = {}) =>
        answer(users.notifications.$get({ ...param(userId), query })),
      count: (userId: string) =>
        answer(users.notifications.count.$get(param(userId))),
      read: (userId: string, id: string) =>
        answer(
          users.notifications[":id"].read.$post({
            param: { userId, id },
          }),
        ),
      readAll: (userId: string) =>
        answer(users.notifications["read-all"].$post(param(userId))),
      /** Recount and push to live streams; rate limited (429). */
      refresh: (userId: string) =>
        answer(users.notifications.refresh.$post(param(userId))),
    },

    scheduler: {
      status: (query: StatusQuery = {}) =>
        answer(api.v1.scheduler.status.$get({ query })),
      stop: (query: OperationQuery = {}) =>
        answer(api.v1.scheduler.stop.$post({ query })),
      start: (query: OperationQuery = {}) =>
        answer(api.v1.scheduler.start.$post({ query })),
      restart: (query: OperationQuery = {}) =>
        answer(api.v1.scheduler.restart.$post({ query })),
      operation: (id: string) =>
        answer(api.v1.scheduler.operations[":id"].$get({ param: { id } })),
      reconcileUser: (userId: string) =>
        answer(api.v1.scheduler.users[":userId"].reconcile.$post({
          param: { userId },
        })),
      drift: (userId?: string) =>
        answer(api.v1.scheduler.drift.$get({
          query: userId === undefined ? {} : { userId },
        })),
      health: () => answer(api.v1.scheduler.health.$get()),
      usersCount: () => answer(api.v1.scheduler["users-count"].$get()),
      stats: () => answer(api.v1.scheduler.stats.$get()),
    },

    jobs: {
      list: () => answer(api.v1.scheduler.jobs.$get()),
      get: (id: string) => answer(job.$get({ param: { id } })),
      /** Creates or changes a job; QStash follows at once. */
      put: (id: string, definition: JobPut) =>
        answer(job.$put({ param: { id }, json: definition })),
      delete: (id: string) => answer(job.$delete({ param: { id } })),
      /** Runs it now; resolves with the run and what it did. */
      trigger: (id: string) => answer(job.trigger.$post({ param: { id } })),
      run: (id: string, runId: string) =>
        answer(job.runs[":runId"].$get({ param: { id, runId } })),
      failures: (id: string, runId: string) =>
        answer(job.runs[":runId"].failures.$get({ param: { id, runId } })),
    },

    /**
     * The catalogue of notification types. A change that moves users
     * answers with the `retype` operation walking them (poll it with
     * `scheduler.operation(id)`).
     */
    types: {
      list: () => answer(api.v1.types.$get()),
      get: (id: string) => answer(type.$get({ param: { id } })),
      create: (definition: TypeCreate, query: OperationQuery = {}) =>
        answer(api.v1.types.$post({ json: definition, query })),
      put: (
        id: string,
        definition: TypeDefinition,
        query: OperationQuery = {},
      ) => answer(type.$put({ param: { id }, json: definition, query })),
      update: (id: string, patch: TypePatch, query: OperationQuery = {}) =>
        answer(type.$patch({ param: { id }, json: patch, query })),
      delete: (id: string, query: OperationQuery = {}) =>
        answer(type.$delete({ param: { id }, query })),
    },

    tokens: {
      /** A user's bearer token (needs `jwtSecret`). */
      user: (userId: string, claims?: UserClaims) =>
        createUserToken(secret(), userId, claims),
      /** A stream token and its URL, minted here (needs `jwtSecret`). */
      stream: async (userId: string, claims?: UserClaims) => {
        const issued = await createStreamToken(secret(), userId, claims);
        return { ...issued, url: streamUrl(opts.url, issued.token) };
      },
      /** A stream token from Herald itself, as the user (a user's token). */
      fetchStream: async () => {
        const res = await (opts.fetch ?? fetch)(
          heraldUrl(opts.url, "v1/stream/token"),
          {
            method: "POST",
            headers: { authorization: `Bearer ${opts.token}` },
          },
        );
        if (!res.ok) throw await heraldError(res);
        return streamTokenBody(await res.json());
      },
    },
  };
}

export type Herald = ReturnType<typeof createHerald>;
