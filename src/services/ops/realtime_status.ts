import type { AppDeps } from "../../deps.ts";
import type { RealtimeStatus } from "../../ports/channels.ts";
import { outboxSize } from "../../store/notifications/notification_store.ts";

/**
 * `GET /v1/realtime/status`: the channels' own view, and how many
 * notifications still wait in the outbox to reach them.
 */
export async function realtimeStatus(
  deps: Pick<AppDeps, "channels" | "db" | "now">,
): Promise<RealtimeStatus & { pendingFanouts: number; checkedAt: string }> {
  const [status, pendingFanouts] = await Promise.all([
    deps.channels.status(),
    outboxSize(deps.db),
  ]);
  return {
    ...status,
    pendingFanouts,
    checkedAt: new Date(deps.now()).toISOString(),
  };
}
