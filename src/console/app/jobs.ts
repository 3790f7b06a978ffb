import { api, ApiError, enc } from "./api.ts";
import { h, panel, say, table, when } from "./dom.ts";

interface JobRun {
  runId: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  progress: { failed: number } | null;
}

interface Job {
  id: string;
  name: string;
  trigger: { type: string; every?: string; cron?: string; timezone?: string };
  nextRun: string | null;
  paused: boolean;
  lastRun: JobRun | null;
}

/**
 * The system jobs: each one's trigger, next run and last run (a failure
 * shown with its error), its recent runs, and a button to run it now.
 */
export async function jobsPage(root: HTMLElement, query: URLSearchParams) {
  const { jobs } = await api<{ jobs: Job[] }>("/v1/scheduler/jobs");
  const trigger = (id: string) => async () => {
    try {
      const { run } = await api<{ run: JobRun }>(
        `/v1/scheduler/jobs/${enc(id)}/trigger`,
        { method: "POST" },
      );
      say(
        `${id}: run ${run.runId} ${run.status}${
          run.error ? ` — ${run.error}` : ""
        }`,
        run.status === "failed" ? "error" : "info",
      );
      location.hash = `#jobs?job=${enc(id)}&t=${Date.now()}`;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      say(`${id}: ${error.message}`, "error");
    }
  };
  root.append(panel(
    "System jobs",
    table(
      ["job", "trigger", "next run", "last run", ""],
      jobs.map((j) => [
        h("a", { href: `#jobs?job=${enc(j.id)}` }, j.name),
        j.trigger.type === "interval"
          ? `every ${j.trigger.every}`
          : `${j.trigger.cron} (${j.trigger.timezone})`,
        j.paused ? "paused" : when(j.nextRun),
        j.lastRun
          ? h(
            "span",
            {
              class: j.lastRun.status === "failed" ? "pill bad" : "pill ok",
              "data-job": j.id,
            },
            j.lastRun.status,
            j.lastRun.error ? `: ${j.lastRun.error}` : "",
          )
          : "never",
        h("button", {
          type: "button",
          "data-trigger": j.id,
          click: trigger(j.id),
        }, "Run now"),
      ]),
    ),
  ));
  const chosen = query.get("job");
  if (chosen) root.append(await runsPanel(chosen));
  root.dataset.ready = "true";
}

async function runsPanel(id: string): Promise<HTMLElement> {
  const { job, runs } = await api<{ job: Job; runs: JobRun[] }>(
    `/v1/scheduler/jobs/${enc(id)}`,
  );
  return panel(
    `Runs of ${job.name}`,
    runs.length === 0 ? h("p", { class: "meta" }, "No runs yet.") : table(
      ["started", "trigger", "status", "failed users", "error"],
      runs.map((r) => [
        when(r.startedAt),
        r.trigger,
        r.status,
        r.progress?.failed ?? "",
        r.error ?? "",
      ]),
    ),
  );
}
