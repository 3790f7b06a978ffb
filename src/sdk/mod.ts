/**
 * Herald's typed server SDK. `createHerald({url, token})` calls the API
 * with the admin key (or a user's token); `createUserToken()` and
 * `createStreamToken()` mint the tokens users connect with.
 */
export {
  createHerald,
  type Herald,
  type HeraldOptions,
  type InboxQuery,
  type JobPut,
  type NotificationInput,
  type OperationQuery,
  type PreferencesPatch,
  type PreferencesPut,
  type StatusQuery,
} from "./herald.ts";
export { HeraldError } from "./errors.ts";
export {
  createStreamToken,
  createUserToken,
  type UserClaims,
} from "./tokens.ts";
export { streamUrl } from "../client/herald_url.ts";
