import {
  effectivePreferences,
  type PreferenceOverrides,
} from "../../src/domain/preferences/preference_overrides.ts";
import type { Preferences } from "../../src/domain/preferences/preferences.ts";
import { type Weekday, WEEKDAYS } from "../../src/domain/time/weekday.ts";
import { DEMO } from "../../tests/support/demo_catalogue.ts";

/**
 * A realistic population of users for the scheduling benchmarks, the same
 * every run (a seeded generator):
 * - zones drawn from 56 IANA zones weighted by the size of their online
 *   population (rough shares, rounded; what matters is that a few zones
 *   hold most users and a long tail holds the rest);
 * - 96% of users have notifications on; each catalogue type keeps its
 *   default on/off state for 85% of users and flips it for the rest;
 * - 75% of chosen times are the type's default time, the rest a time on a
 *   15-minute grid between 06:00 and 22:45;
 * - 85% keep the type's default days, the rest weekdays, weekends or a
 *   random set.
 */
export const ZONE_WEIGHTS: readonly [string, number][] = [
  ["Asia/Kolkata", 120],
  ["Asia/Shanghai", 110],
  ["America/New_York", 45],
  ["America/Chicago", 25],
  ["America/Los_Angeles", 30],
  ["America/Denver", 8],
  ["America/Phoenix", 3],
  ["America/Sao_Paulo", 35],
  ["America/Mexico_City", 25],
  ["America/Bogota", 10],
  ["America/Lima", 7],
  ["America/Argentina/Buenos_Aires", 10],
  ["America/Santiago", 5],
  ["America/Toronto", 8],
  ["America/Vancouver", 3],
  ["America/Halifax", 1],
  ["Europe/London", 18],
  ["Europe/Paris", 15],
  ["Europe/Berlin", 20],
  ["Europe/Madrid", 12],
  ["Europe/Rome", 13],
  ["Europe/Amsterdam", 5],
  ["Europe/Warsaw", 8],
  ["Europe/Stockholm", 3],
  ["Europe/Athens", 3],
  ["Europe/Kyiv", 7],
  ["Europe/Istanbul", 18],
  ["Europe/Moscow", 25],
  ["Europe/Lisbon", 3],
  ["Europe/Dublin", 2],
  ["Africa/Lagos", 25],
  ["Africa/Cairo", 20],
  ["Africa/Johannesburg", 8],
  ["Africa/Nairobi", 7],
  ["Africa/Casablanca", 6],
  ["Africa/Accra", 4],
  ["Asia/Tokyo", 30],
  ["Asia/Seoul", 12],
  ["Asia/Jakarta", 45],
  ["Asia/Manila", 20],
  ["Asia/Bangkok", 12],
  ["Asia/Ho_Chi_Minh", 15],
  ["Asia/Karachi", 20],
  ["Asia/Dhaka", 18],
  ["Asia/Tehran", 15],
  ["Asia/Dubai", 4],
  ["Asia/Riyadh", 8],
  ["Asia/Singapore", 2],
  ["Asia/Kuala_Lumpur", 6],
  ["Asia/Taipei", 5],
  ["Asia/Hong_Kong", 2],
  ["Asia/Kathmandu", 2],
  ["Asia/Jerusalem", 2],
  ["Australia/Sydney", 5],
  ["Australia/Perth", 1],
  ["Pacific/Auckland", 1],
];

export interface Member {
  userId: string;
  overrides: PreferenceOverrides;
  prefs: Preferences;
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const GRID = Array.from({ length: 68 }, (_, i) => {
  const minutes = 6 * 60 + i * 15;
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${
    String(minutes % 60).padStart(2, "0")
  }`;
});
const WEEKDAY_SET: Weekday[] = ["mon", "tue", "wed", "thu", "fri"];
const WEEKEND_SET: Weekday[] = ["sat", "sun"];

/** `count` users named `<prefix><n>`, deterministic for a seed. */
export function population(
  count: number,
  opts: { seed?: number; prefix?: string } = {},
): Member[] {
  const next = random(opts.seed ?? 42);
  const pick = <T>(list: readonly T[]): T =>
    list[Math.floor(next() * list.length)]!;
  const totalWeight = ZONE_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
  const zone = () => {
    let r = next() * totalWeight;
    for (const [name, weight] of ZONE_WEIGHTS) {
      r -= weight;
      if (r < 0) return name;
    }
    return ZONE_WEIGHTS[0]![0];
  };
  const prefix = opts.prefix ?? "p-";
  return Array.from({ length: count }, (_, i) => {
    const types: NonNullable<PreferenceOverrides["types"]> = {};
    for (const type of DEMO.types) {
      const flip = next() < 0.15;
      const enabled = flip ? !type.enabled : type.enabled;
      const custom = next() < 0.25;
      const days = next() < 0.85
        ? undefined
        : pick([WEEKDAY_SET, WEEKEND_SET, randomDays(next)]);
      types[type.id] = {
        enabled,
        ...(custom ? { times: [pick(GRID)] } : {}),
        ...(days ? { days } : {}),
      };
    }
    const overrides: PreferenceOverrides = {
      enabled: next() < 0.96,
      timezone: zone(),
      types,
    };
    return {
      userId: `${prefix}${String(i).padStart(6, "0")}`,
      overrides,
      prefs: effectivePreferences(overrides, DEMO),
    };
  });
}

function randomDays(next: () => number): Weekday[] {
  const days = WEEKDAYS.filter(() => next() < 0.5);
  return days.length ? days : ["mon"];
}
