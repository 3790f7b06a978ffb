import { api, ApiError } from "./api.ts";
import { heatMap, type SlotCell } from "./charts.ts";
import { h, panel, say, table, when } from "./dom.ts";
import { operationProgress } from "./operation_progress.ts";
import type { Operation } from "./types.ts";

interface SlotLoad {
  placement: string;
  running: boolean;
  slots: SlotCell[];
  checkedAt: string;
}

const DAY = 86_400_000;

/**
 * The day's slots as a 24 × 60 heat map of UTC minutes by members, the
 * scheduler's paused state, the next firings, and pause, resume and
 * restart with the operation's progress.
 */
export async function schedulesPage(root: HTMLElement) {
  const load = await api<SlotLoad>("/v1/scheduler/slots");
  const status = await api<{ activeJobs: number; operation: Operation | null }>(
    "/v1/scheduler/status?limit=1",
  );
  const now = Date.parse(load.checkedAt);
  const next = load.slots.map((c) => ({ ...c, at: nextFiring(c.slot, now) }))
    .sort((a, b) => a.at - b.at).slice(0, 10);
  const progress = h("div", { id: "operation" });
  if (status.operation) {
    progress.append(operationProgress(status.operation, null));
  }
  const operate = (kind: "stop" | "start" | "restart") => async () => {
    try {
      const total = kind === "restart"
        ? (await api<{ count: number }>("/v1/scheduler/users-count")).count
        : status.activeJobs || null;
      const { operation } = await api<{ operation: Operation }>(
        `/v1/scheduler/${kind}`,
        { method: "POST" },
      );
      progress.replaceChildren(operationProgress(operation, total));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      say(`${kind}: ${error.message}`, "error");
    }
  };
  const members = load.slots.reduce((n, c) => n + c.members, 0);
  root.append(
    panel(
      "The day in UTC minutes",
      h(
        "p",
        {},
        `Placement: ${load.placement} · `,
        h(
          "strong",
          { id: "scheduler-state" },
          load.running ? "running" : "paused",
        ),
        ` · ${load.slots.length} busy minutes, ${members} ${
          load.placement === "slots" ? "members" : "schedules"
        }`,
      ),
      heatMap(load.slots),
      h(
        "p",
        { class: "meta" },
        "Darker is busier (log scale); a red outline is paused. Hover a cell for its count.",
      ),
    ),
    panel(
      "Next firings",
      table(
        ["when", "slot (UTC)", "members", "state"],
        next.map((
          c,
        ) => [
          when(new Date(c.at).toISOString()),
          `${c.slot.slice(0, 2)}:${c.slot.slice(2)}`,
          c.members,
          c.paused ? "paused" : "live",
        ]),
      ),
    ),
    panel(
      "Control",
      h(
        "button",
        { type: "button", id: "pause", click: operate("stop") },
        "Pause all",
      ),
      h(
        "button",
        { type: "button", id: "resume", click: operate("start") },
        "Resume all",
      ),
      h(
        "button",
        { type: "button", id: "restart", click: operate("restart") },
        "Restart",
      ),
      progress,
    ),
  );
  root.dataset.ready = "true";
}

/** The next instant a UTC minute comes round, at or after `now`. */
function nextFiring(slot: string, now: number): number {
  const minute = (Number(slot.slice(0, 2)) * 60 + Number(slot.slice(2))) *
    60_000;
  const today = Math.floor(now / DAY) * DAY + minute;
  return today >= now ? today : today + DAY;
}
