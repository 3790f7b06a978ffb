import { api } from "./api.ts";
import { h } from "./dom.ts";
import type { Operation } from "./types.ts";

/**
 * An operation's progress as a progress bar, polled until it is done:
 * users walked (restart, retype) or schedules paused and resumed (stop,
 * start), out of what the status counts — indeterminate until then.
 */
export function operationProgress(
  first: Operation,
  total: number | null,
): HTMLElement {
  const bar = h("progress", { max: 1, "aria-label": `${first.kind} progress` });
  const label = h("span", { class: "meta" });
  const box = h(
    "div",
    { class: "operation", "data-status": first.status },
    h("strong", {}, first.kind),
    " ",
    bar,
    " ",
    label,
  );
  const show = (op: Operation) => {
    const p = op.progress;
    const done = (p.users ?? 0) + (p.paused ?? 0) + (p.resumed ?? 0);
    if (op.status !== "running") {
      bar.max = 1;
      bar.value = 1;
    } else if (total !== null && total > 0) {
      bar.max = total;
      bar.value = Math.min(done, total);
    }
    label.textContent = `${op.status} · ${op.phase} · ${done} done` +
      (op.error ? ` · ${op.error}` : "");
    box.dataset.status = op.status;
  };
  show(first);
  const poll = async () => {
    const { operation } = await api<{ operation: Operation }>(
      `/v1/scheduler/operations/${encodeURIComponent(first.id)}`,
    );
    show(operation);
    if (operation.status === "running" && box.isConnected) {
      setTimeout(poll, 1_000);
    }
  };
  if (first.status === "running") setTimeout(poll, 500);
  return box;
}
