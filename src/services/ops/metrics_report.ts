import type { ServiceContext } from "../../context.ts";
import {
  histogramFamily,
  HISTOGRAMS,
  isHistogramPart,
} from "../../domain/metrics/histogram.ts";
import {
  formatPrometheus,
  type MetricFamily,
  type Sample,
} from "../../domain/metrics/prometheus.ts";
import { readCounters } from "../../store/metrics/metrics_store.ts";

/** Every counter Herald keeps, with its help text (see metrics_logger.ts). */
const COUNTERS: Record<string, string> = {
  herald_http_requests_total: "HTTP requests answered, by status class.",
  herald_preference_updates_total: "Preference writes that saved a version.",
  herald_reconciles_total: "Per-user reconciles, by outcome.",
  herald_schedule_writes_total: "QStash schedule writes, by action.",
  herald_qstash_calls_total: "QStash API calls, by call and outcome.",
  herald_deliveries_total: "Signed QStash callbacks received.",
  herald_duplicates_dropped_total:
    "Duplicate deliveries or requests dropped, by source.",
  herald_notifications_sent_total: "Notifications handed to their channels.",
  herald_job_runs_total: "System job runs, by status.",
  herald_shard_requests_total:
    "Requests to real-time shard objects (Workers), by call.",
  herald_shard_request_ms_total:
    "Milliseconds requests to shard objects took, as the Worker saw them, by call.",
  herald_shard_wakes_total:
    "Publishes that found their shard object freshly constructed (woken).",
  herald_webhook_events_emitted_total:
    "Event webhook messages queued, by event type and endpoint.",
  herald_webhook_events_delivered_total:
    "Event webhook messages an endpoint accepted (2xx), by type and endpoint.",
  herald_webhook_events_failed_total:
    "Event webhook messages given up on (retries spent or endpoint disabled), by type and endpoint.",
  herald_webhook_attempts_failed_total:
    "Event webhook attempts that failed (to be retried or not), by type and endpoint.",
  herald_webhook_endpoints_disabled_total:
    "Endpoints Herald disabled, by endpoint and reason (gone, failing).",
  herald_push_queued_total:
    "Web Pushes handed to QStash (first attempts), one per device.",
  herald_push_retried_total:
    "Web Pushes queued again after a 429, a 5xx or no answer.",
  herald_push_sent_total: "Web Pushes a push service accepted (2xx).",
  herald_push_failed_total:
    "Web Pushes given up on, by status (400/401/403: configuration; others: retries spent).",
  herald_push_subscriptions_removed_total:
    "Push subscriptions removed, by reason (gone: 404/410; expired; unseen: 60 days; replaced: a rotation or a 21st device).",
  herald_outbox_kept_total:
    "QStash messages kept in libSQL because QStash did not take them, by kind (webhook, push).",
  herald_outbox_published_total:
    "Kept QStash messages the maintenance published again, by kind.",
};

/**
 * `GET /metrics`: this isolate's pending deltas are flushed first, so what
 * it just counted is included; then libSQL's totals (every isolate's and
 * process's) plus the live gauges read from the channels.
 */
export async function prometheusText({
  ctx,
}: { ctx: ServiceContext }): Promise<string> {
  await ctx.metrics.flush(ctx.db, ctx.now());
  const [stored, live] = await Promise.all([
    readCounters(ctx.db),
    ctx.channels.status().catch(() => {
      ctx.log.warn("metrics.channels_unavailable");
      return null;
    }),
  ]);
  const byName = new Map<string, Sample[]>();
  const histogramParts: Sample[] = [];
  for (const sample of stored) {
    if (isHistogramPart(sample.name)) {
      histogramParts.push(sample);
      continue;
    }
    const list = byName.get(sample.name) ?? [];
    list.push(sample);
    byName.set(sample.name, list);
  }
  const families: MetricFamily[] = Object.entries(COUNTERS).map((
    [name, help],
  ) => ({
    name,
    help,
    type: "counter",
    samples: byName.get(name) ?? [],
  }));
  for (const def of HISTOGRAMS) {
    families.push(histogramFamily(def, histogramParts));
  }
  if (live) {
    families.push({
      name: "herald_live_subscribers",
      help: "Live connections (SSE and WebSocket) now.",
      type: "gauge",
      samples: [{
        name: "herald_live_subscribers",
        labels: {},
        value: live.subscribers,
      }],
    }, {
      name: "herald_live_channels",
      help: "Audiences (users, roles, topics) with a live connection now.",
      type: "gauge",
      samples: [{
        name: "herald_live_channels",
        labels: {},
        value: live.channels.length,
      }],
    });
  }
  return formatPrometheus(families);
}
