/** The answers the console reads, as Herald's OpenAPI document gives them. */
import type { NotificationType as StoredType } from "../../domain/catalogue/catalogue.ts";
import type { Preferences } from "../../domain/preferences/preferences.ts";
export type { Preferences } from "../../domain/preferences/preferences.ts";
export { WEEKDAYS } from "../../domain/time/weekday.ts";

export interface PreferencesView {
  userId: string;
  preferences: Preferences;
  version: number;
  sync: { status: string; syncedVersion: number };
}

export interface Change {
  path: string;
  from: unknown;
  to: unknown;
}

/** A catalogue type as `/v1/types` answers it: the stored one, versioned. */
export interface NotificationType extends StoredType {
  version: number;
}

export interface Operation {
  id: string;
  kind: string;
  status: string;
  phase: string;
  continuing: boolean;
  progress: Record<string, number>;
  error: string | null;
}

export interface Upcoming {
  items: {
    type: string;
    at: string;
    localDate: string;
    localTime: string;
    timezone: string;
    channels: { push: boolean };
    deferredBy: "quietHours" | null;
  }[];
}

export interface Notification {
  id: string;
  type: string;
  title: string;
  body: string;
  severity: string;
  createdAt: string;
  readAt: string | null;
  /** In the admin key's inbox read: live connections and pushes accepted. */
  channels?: { live: number; push: number };
}
