import { planUserSchedules } from "../src/domain/schedules/schedule_plan.ts";
import { planMemberships } from "../src/domain/schedules/slot_plan.ts";
import { offsetAt } from "../src/domain/time/zoned_time.ts";
import { SLOT_PAGE_SIZE } from "../src/services/delivery/deliver_slot.ts";
import { population, ZONE_WEIGHTS } from "./support/population.ts";
import { PRICE, PRICES } from "./support/prices.ts";
import { report } from "./stats.ts";

/**
 * How many QStash schedules 100,000 users need, and what QStash bills for
 * them a month, per placement — pure arithmetic over the realistic
 * population (bench/support/population.ts), no stack:
 * - per-user: one schedule per user, type and time (and the DST twins);
 * - shared slots as built: one per UTC minute that somebody's next
 *   occurrence falls on, counted in January and in July;
 * - for comparison, two slot keys Herald does not use: (zone, local time),
 *   and (zones with identical offsets and transitions, local time).
 * Prices: Upstash QStash pay-as-you-go (bench/support/prices.ts): 1,000
 * active schedules included, then $0.01 each (taken as per month); $1 per
 * 100,000 messages, every attempt billed. Messages assume every
 * delivery succeeds first time and no quiet-hours deferrals.
 */
const USERS = Number(Deno.env.get("BENCH_USERS") ?? 100_000);
const DAYS_PER_MONTH = 30.44;
const PRICE_PER_SCHEDULE = PRICE.qstashPerSchedule;
const INCLUDED_SCHEDULES = PRICE.qstashIncludedSchedules;
const PRICE_PER_MESSAGE = PRICE.qstashPer100kMessages / 100_000;

const started = performance.now();
const users = population(USERS);
const january = Date.parse("2027-01-15T12:00:00Z");
const july = Date.parse("2027-07-15T12:00:00Z");
const destination = "https://herald.example/v1/qstash/callback";

// Per-user: every schedule and how often it fires.
let perUserSchedules = 0;
let perUserFiringsPerMonth = 0;
for (const { userId, prefs } of users) {
  for (
    const s of planUserSchedules(userId, prefs, { destination, now: january })
  ) {
    perUserSchedules++;
    if (s.id.endsWith(".dst")) continue; // fires once a year
    const days = prefs.types[s.type]?.days.length ?? 0;
    perUserFiringsPerMonth += days * DAYS_PER_MONTH / 7;
  }
}

// Shared slots as built: members per UTC minute, winter and summer.
function slotsAt(now: number): Map<string, number> {
  const members = new Map<string, number>();
  for (const { userId, prefs } of users) {
    for (const m of planMemberships(userId, prefs, now)) {
      members.set(m.slot, (members.get(m.slot) ?? 0) + 1);
    }
  }
  return members;
}
const winter = slotsAt(january);
const summer = slotsAt(july);
const slotMessagesPerMonth = (members: Map<string, number>) =>
  [...members.values()].reduce(
    (sum, n) => sum + Math.ceil(n / SLOT_PAGE_SIZE) * DAYS_PER_MONTH,
    0,
  );

// The alternatives: (zone, local time) and (zone rules, local time).
const ruleGroup = new Map<string, string>();
for (const [zone] of ZONE_WEIGHTS) {
  const offsets: number[] = [];
  for (let t = january; t < january + 400 * 86_400_000; t += 3_600_000) {
    offsets.push(offsetAt(t, zone));
  }
  ruleGroup.set(zone, offsets.join(","));
}
const byZone = new Set<string>();
const byRules = new Set<string>();
for (const { prefs } of users) {
  if (!prefs.enabled) continue;
  for (const type of Object.values(prefs.types)) {
    if (!type.enabled) continue;
    for (const time of type.times) {
      byZone.add(`${prefs.timezone} ${time}`);
      byRules.add(`${ruleGroup.get(prefs.timezone)} ${time}`);
    }
  }
}

function bill(schedules: number, messagesPerMonth: number) {
  const scheduleCost = Math.max(0, schedules - INCLUDED_SCHEDULES) *
    PRICE_PER_SCHEDULE;
  const messageCost = messagesPerMonth * PRICE_PER_MESSAGE;
  return {
    schedules,
    messagesPerMonth: Math.round(messagesPerMonth),
    scheduleDollars: round(scheduleCost),
    messageDollars: round(messageCost),
    totalDollars: round(scheduleCost + messageCost),
  };
}
const round = (x: number) => Math.round(x * 100) / 100;

await report("slot_count", {
  users: USERS,
  zones: ZONE_WEIGHTS.length,
  zoneRuleGroups: new Set(ruleGroup.values()).size,
  perUser: bill(perUserSchedules, perUserFiringsPerMonth),
  slots: {
    ...bill(
      Math.max(winter.size, summer.size),
      Math.max(slotMessagesPerMonth(winter), slotMessagesPerMonth(summer)),
    ),
    january: winter.size,
    july: summer.size,
    largestSlot: Math.max(...winter.values(), ...summer.values()),
  },
  alternatives: {
    zoneAndLocalTime: byZone.size,
    zoneRulesAndLocalTime: byRules.size,
  },
  prices: {
    qstashIncludedSchedules: PRICES.qstashIncludedSchedules,
    qstashPerSchedule: PRICES.qstashPerSchedule,
    qstashPer100kMessages: PRICES.qstashPer100kMessages,
  },
  seconds: round((performance.now() - started) / 1000),
});
