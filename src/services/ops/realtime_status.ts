import type { ServiceContext } from "../../context.ts";
import type { RealtimeStatus } from "../../ports/channels.ts";
import { outboxSize } from "../../store/notifications/notification_store.ts";

/**
 * `GET /v1/realtime/status`: the channels' own view, and how many
 * notifications still wait in the outbox to reach them.
 */
export async function realtimeStatus(
  { ctx }: { ctx: ServiceContext },
): Promise<RealtimeStatus & { pendingFanouts: number; checkedAt: string }> {
  const [status, pendingFanouts] = await Promise.all([
    ctx.channels.status(),
    outboxSize(ctx.db),
  ]);
  return {
    ...status,
    pendingFanouts,
    checkedAt: new Date(ctx.now()).toISOString(),
  };
}
