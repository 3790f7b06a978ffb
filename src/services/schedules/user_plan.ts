import type { ServiceContext } from "../../context.ts";
import type { Catalogue } from "../../domain/catalogue/catalogue.ts";
import type { Preferences } from "../../domain/preferences/preferences.ts";
import {
  type DesiredSchedule,
  planUserSchedules,
} from "../../domain/schedules/schedule_plan.ts";
import {
  type Membership,
  membershipId,
  planMemberships,
} from "../../domain/schedules/slot_plan.ts";
import { criticalTypes } from "./stored_preferences.ts";

/**
 * What one user's preferences ask of the scheduler under the deployment's
 * placement: per-user schedules (and no slot member), or slot members (and
 * no per-user schedule) — the empty half is how switching placement cleans
 * up after itself. The one place reconcile, restart, drift and repair plan.
 */
export interface UserPlan {
  schedules: DesiredSchedule[];
  members: (Membership & { id: string })[];
}

export function planUser({ ctx, user, catalogue, now }: {
  ctx: Pick<ServiceContext, "config">;
  user: { userId: string; prefs: Preferences };
  catalogue: Catalogue;
  now: number;
}): UserPlan {
  const critical = criticalTypes(catalogue);
  if (ctx.config.schedulePlacement === "per-user") {
    return {
      schedules: planUserSchedules(user.userId, user.prefs, {
        destination: ctx.config.callbackUrl,
        now,
        critical,
      }),
      members: [],
    };
  }
  return {
    schedules: [],
    members: planMemberships(user.userId, user.prefs, now, critical)
      .map((m) => ({ ...m, id: membershipId(m) })),
  };
}
