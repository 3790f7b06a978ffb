import type { AppDeps, Background } from "../deps.ts";
import type { InboxOwner } from "../services/inbox/unread_count.ts";

export type Principal =
  | { kind: "admin" }
  | { kind: "user"; userId: string; roles: string[]; topics: string[] };

export interface HonoEnv {
  Variables: {
    requestId: string;
    deps: AppDeps;
    principal: Principal;
    background: Background;
    /** Set on a user's inbox routes: whose inbox, and what they belong to. */
    inboxOwner: InboxOwner;
  };
}
