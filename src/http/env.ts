import type { ServiceContext } from "../context.ts";
import type { ServerTiming } from "./server_timing.ts";
import type { InboxOwner } from "../services/inbox/unread_count.ts";

export type Principal =
  | { kind: "admin" }
  | { kind: "user"; userId: string; roles: string[]; topics: string[] };

export interface HonoEnv {
  Variables: {
    requestId: string;
    /** The request's service context, built once by the first middleware. */
    ctx: ServiceContext;
    /** The request's Server-Timing, whose marks are `ctx.mark`. */
    timing: ServerTiming;
    principal: Principal;
    /** Set on a user's inbox routes: whose inbox, and what they belong to. */
    inboxOwner: InboxOwner;
  };
}
