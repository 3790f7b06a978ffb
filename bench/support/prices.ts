/**
 * The published prices the cost model uses, each with the vendor's page it
 * comes from and when it was read. Prices change: a new reading changes the
 * number, its source and its date here, and README's cost model with them.
 */
export interface Price {
  value: number;
  /** What the number counts, in words. */
  unit: string;
  source: string;
  collected: string;
}

const COLLECTED = "2026-12";
const WORKERS = "https://developers.cloudflare.com/workers/platform/pricing/";
const DURABLE_OBJECTS =
  "https://developers.cloudflare.com/durable-objects/platform/pricing/";
const QSTASH = "https://upstash.com/pricing/qstash";

const price = (value: number, unit: string, source: string): Price => ({
  value,
  unit,
  source,
  collected: COLLECTED,
});

export const PRICES = {
  workersBase: price(5, "USD a month, Workers Standard (paid) plan", WORKERS),
  workersIncludedRequests: price(10e6, "requests a month included", WORKERS),
  workersPerMillionRequests: price(0.3, "USD per million requests", WORKERS),
  workersIncludedCpuMs: price(30e6, "CPU-ms a month included", WORKERS),
  workersPerMillionCpuMs: price(0.02, "USD per million CPU-ms", WORKERS),
  doIncludedRequests: price(1e6, "requests a month included", DURABLE_OBJECTS),
  doPerMillionRequests: price(
    0.15,
    "USD per million requests",
    DURABLE_OBJECTS,
  ),
  doIncludedGbS: price(400_000, "GB-s a month included", DURABLE_OBJECTS),
  doPerMillionGbS: price(12.5, "USD per million GB-s", DURABLE_OBJECTS),
  doGb: price(0.128, "GB billed per object, whatever it uses", DURABLE_OBJECTS),
  doWsMessagesPerRequest: price(
    20,
    "incoming WebSocket messages billed as one request",
    DURABLE_OBJECTS,
  ),
  qstashPer100kMessages: price(
    1,
    "USD per 100,000 messages, pay as you go (every attempt billed)",
    QSTASH,
  ),
  qstashIncludedSchedules: price(
    1_000,
    "active schedules included, pay as you go",
    QSTASH,
  ),
  qstashPerSchedule: price(
    0.01,
    "USD per active schedule above those included (taken as a month)",
    QSTASH,
  ),
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;

/** The numbers alone, for arithmetic. */
export const PRICE: Readonly<Record<PriceName, number>> = Object.fromEntries(
  Object.entries(PRICES).map(([name, p]) => [name, p.value]),
) as Record<PriceName, number>;
