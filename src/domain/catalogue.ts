import type { TypePreference } from "./preferences.ts";
import { type Weekday, WEEKDAYS } from "./weekday.ts";

/**
 * One kind of notification the operator offers. The defaults are what a user
 * gets before saving any preferences; the templates are rendered at delivery
 * with placeholders such as {{localDate}}, {{localTime}} and {{weekday}}.
 */
interface NotificationTypeDefinition {
  readonly id: string;
  readonly label: string;
  readonly enabled: boolean;
  /** "HH:MM" local times, sorted and unique, like stored preferences. */
  readonly times: readonly string[];
  /** Monday-first, like stored preferences. */
  readonly days: readonly Weekday[];
  readonly template: { readonly title: string; readonly body: string };
}

const WORKDAYS = ["mon", "tue", "wed", "thu", "fri"] as const;

/**
 * The catalogue, configured in code. Order matters: it is the order of types
 * in responses, in preference comparisons and in planned schedules.
 * Ids become part of QStash schedule ids, so keep them to letters and digits.
 */
export const NOTIFICATION_TYPES = [
  {
    id: "morningDigest",
    label: "Morning digest",
    enabled: true,
    times: ["08:00"],
    days: WEEKDAYS,
    template: {
      title: "Good morning",
      body: "Your digest for {{localDate}}",
    },
  },
  {
    id: "taskReminder",
    label: "Task reminder",
    enabled: true,
    times: ["14:00"],
    days: WORKDAYS,
    template: {
      title: "Tasks waiting for you",
      body: "You have open tasks for {{localDate}}",
    },
  },
  {
    id: "eveningSummary",
    label: "Evening summary",
    enabled: false,
    times: ["18:00"],
    days: WEEKDAYS,
    template: {
      title: "Your day at {{localTime}}",
      body: "Here is what happened on {{localDate}}",
    },
  },
  {
    id: "weeklyReport",
    label: "Weekly report",
    enabled: true,
    times: ["09:00"],
    days: ["mon"],
    template: {
      title: "Your weekly report",
      body: "The week up to {{localDate}}",
    },
  },
] as const satisfies readonly NotificationTypeDefinition[];

export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
export type NotificationTypeId = NotificationType["id"];

export const NOTIFICATION_TYPE_IDS: readonly NotificationTypeId[] =
  NOTIFICATION_TYPES.map((type) => type.id);

const KNOWN_IDS: ReadonlySet<string> = new Set(NOTIFICATION_TYPE_IDS);

export function isNotificationTypeId(
  value: unknown,
): value is NotificationTypeId {
  return typeof value === "string" && KNOWN_IDS.has(value);
}

/**
 * Builds a record with one entry per catalogue type, in catalogue order, so
 * callers never hand-list the types (and never miss a newly added one).
 */
export function perNotificationType<T>(
  valueFor: (type: NotificationType) => T,
): Record<NotificationTypeId, T> {
  const entries: Partial<Record<NotificationTypeId, T>> = {};
  for (const type of NOTIFICATION_TYPES) entries[type.id] = valueFor(type);
  // The loop above assigned every id; TypeScript cannot follow that.
  return entries as Record<NotificationTypeId, T>;
}

/** A fresh, mutable copy of a type's catalogue defaults. */
export function catalogueDefaults(type: NotificationType): TypePreference {
  return {
    enabled: type.enabled,
    times: [...type.times],
    days: [...type.days],
  };
}
