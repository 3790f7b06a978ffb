import type { DigestRule } from "../delivery/digest.ts";
import type { Severity } from "../delivery/notification.ts";
import type { TypePreference } from "../preferences/preferences.ts";
import type { Weekday } from "../time/weekday.ts";
import type { PushPolicy } from "../push/push_policy.ts";

/**
 * One kind of notification the operator offers (defined through
 * `/v1/types` and stored in libSQL). Its defaults are what a user has until
 * they choose otherwise; its templates are rendered at delivery.
 */
export interface NotificationType {
  /** Letters and digits; part of schedule ids, so it never changes. */
  id: string;
  label: string;
  description: string;
  /** Whether it is on for a user who never said. */
  enabled: boolean;
  /** "HH:MM" local times, sorted and unique. */
  times: string[];
  /** Monday-first. */
  days: Weekday[];
  template: { title: string; body: string };
  severity: Severity;
  /** The host app's content webhook, or null for the template alone. */
  webhook: string | null;
  /**
   * Users may not switch a critical type off, and it fires even while
   * their notifications are off (they may still move its times and days).
   */
  critical: boolean;
  /** The operator's default for Web Push (users may switch it on or off). */
  channels: { push: PushPolicy };
  /**
   * Posts with a `digestKey` join one inbox item per user and key within
   * the window, up to `max` (null: no digest).
   */
  digest: DigestRule | null;
}

/** The live catalogue: the operator's types, in the order they were made. */
export interface Catalogue {
  readonly types: readonly NotificationType[];
  get(id: string): NotificationType | undefined;
}

export function catalogueOf(types: readonly NotificationType[]): Catalogue {
  const byId = new Map(types.map((type) => [type.id, type]));
  return { types, get: (id) => byId.get(id) };
}

/** A fresh, mutable copy of a type's defaults. */
export function defaultsOf(type: NotificationType): TypePreference {
  return {
    enabled: type.enabled,
    times: [...type.times],
    days: [...type.days],
    channels: { push: type.channels.push !== "off" },
  };
}
