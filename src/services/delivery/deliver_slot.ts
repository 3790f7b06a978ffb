import type { ServiceContext } from "../../context.ts";
import {
  type SlotBody,
  slotPageBody,
} from "../../domain/callbacks/callback_body.ts";
import type {
  Catalogue,
  NotificationType,
} from "../../domain/catalogue/catalogue.ts";
import type { Preferences } from "../../domain/preferences/preferences.ts";
import {
  nextOccurrence,
  occursAt,
  slotAt,
  slotFiring,
} from "../../domain/schedules/slot_plan.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import { preferencesOfUsers } from "../../store/preferences/preferences_store.ts";
import {
  moveMemberQueries,
  slotMemberPage,
  type StoredMember,
} from "../../store/schedules/slot_store.ts";
import { slotFailureQuery } from "../../store/schedules/slot_failure_store.ts";
import type { DueOccurrence } from "../../domain/delivery/due_occurrence.ts";
import { deliverDueMany, type DeliveryOutcome } from "./deliver_due.ts";
import { stillWanted } from "./deliver_occurrence.ts";
import { slotsOutOfStep, syncSlots } from "../schedules/slot_schedules.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";

/** Members one request serves; the rest go on in the next page's message. */
export const SLOT_PAGE_SIZE = 250;

export interface SlotPageReport {
  slot: string;
  firedAt: string;
  members: number;
  sent: number;
  duplicates: number;
  deferred: number;
  skipped: number;
  failed: number;
  moved: number;
  /** Whether another page was handed to QStash. */
  more: boolean;
}

/**
 * One page of a slot's firing (the shared placement; domain/slot_plan.ts).
 * The firing itself is page one: it learns when the slot fired from
 * `via.firedAt` (the callbacks' one rule, so a late or retried delivery
 * still names its own firing) and every page after carries that instant. A page hands the
 * next one to QStash before it starts, so pages overlap, and a page that is
 * retried or delivered twice doubles nothing: each occurrence is stored
 * once (its key), the next page's message is deduplicated. The members
 * for whom that instant is one of their occurrences are delivered together
 * (`deliverDueMany`: a handful of round trips for the whole page); one who
 * cannot be served is recorded and the rest go on. Then every member whose
 * next occurrence falls in another slot (their zone changed its offset)
 * moves there.
 */
export async function deliverSlotPage({ ctx, body, via }: {
  ctx: ServiceContext;
  body: SlotBody;
  via: { firedAt: () => Promise<number> };
}): Promise<SlotPageReport> {
  const firedAt = body.kind === "slot-page"
    ? body.firedAt
    : slotFiring(body.slot, await via.firedAt());
  const after = body.kind === "slot-page" ? body.after : null;
  const rows = await slotMemberPage(
    ctx.db,
    body.slot,
    after,
    SLOT_PAGE_SIZE + 1,
  );
  const page = rows.slice(0, SLOT_PAGE_SIZE);
  const last = page.at(-1);
  const more = rows.length > SLOT_PAGE_SIZE && last !== undefined;
  if (more) {
    await ctx.scheduler.publishMessage({
      destination: ctx.config.callbackUrl,
      body: slotPageBody({ slot: body.slot, firedAt, after: last.id }),
      deduplicationId: await pageDedupId(body.slot, firedAt, last.id),
    });
  }
  const report: SlotPageReport = {
    slot: body.slot,
    firedAt: new Date(firedAt).toISOString(),
    members: page.length,
    sent: 0,
    duplicates: 0,
    deferred: 0,
    skipped: 0,
    failed: 0,
    moved: 0,
    more,
  };
  const catalogue = await ctx.catalogue();
  const prefs = await preferencesByUser(ctx, page, catalogue);
  const unreadable = new Error("unreadable preferences");
  const moves: { id: string; from: string; to: string }[] = [];
  const failures: ReturnType<typeof slotFailureQuery>[] = [];
  const fail = (member: StoredMember, error: unknown) => {
    report.failed++;
    ctx.log.warn("slot.member_failed", {
      user: shortId(member.userId),
      slot: body.slot,
    });
    failures.push(slotFailureQuery(ctx.db, {
      slot: body.slot,
      firedAt,
      memberId: member.id,
      // Our own words only: a driver's message could quote data.
      error: error === unreadable
        ? unreadable.message
        : error instanceof Error
        ? error.name
        : "unknown",
      at: ctx.now(),
    }));
  };
  // A late firing must not move anyone back to an occurrence already past.
  const movesFrom = Math.max(firedAt, ctx.now());
  const due: { member: StoredMember; occurrence: DueOccurrence }[] = [];
  for (const member of page) {
    const p = prefs.get(member.userId);
    const type = catalogue.get(member.type);
    if (p === null) fail(member, unreadable);
    else if (p === undefined) report.skipped++;
    else {
      const occurrence = dueAt(member, p, type, firedAt);
      if (occurrence === null) report.skipped++;
      else due.push({ member, occurrence });
    }
    const to = p ? nextSlot(member, p, type, movesFrom) : null;
    if (to !== null && to !== member.slot) {
      moves.push({ id: member.id, from: member.slot, to });
    }
  }
  // Every due member together: a store that fails fails the page, which
  // QStash retries (what was stored is then found, never doubled).
  const outcomes = await deliverDueMany({
    ctx,
    dues: due.map((d) => d.occurrence),
  });
  outcomes.forEach((outcome, i) => {
    const member = due[i]?.member;
    if (!member) return;
    if (outcome.status === "failed") fail(member, outcome.error);
    else count(report, outcome);
  });
  const writes = [...moveMemberQueries(ctx.db, moves), ...failures];
  const [first, ...rest] = writes;
  if (first) await ctx.db.batch([first, ...rest]);
  report.moved = moves.length;
  if (moves.length) await followMoves(ctx, body.slot, moves);
  ctx.log.info("slot.page", {
    slot: body.slot,
    members: report.members,
    sent: report.sent,
    failed: report.failed,
    moved: report.moved,
  });
  return report;
}

/**
 * One member at one firing: nothing unless the instant is one of their
 * occurrences (their local time, on one of their days, and after they
 * joined); then the occurrence, for the path every scheduled occurrence
 * takes.
 */
function dueAt(
  member: StoredMember,
  prefs: Preferences,
  type: NotificationType | undefined,
  firedAt: number,
): DueOccurrence | null {
  if (member.since > firedAt) return null;
  const typePrefs = stillWanted(prefs, member, type);
  if (typeof typePrefs === "string" || !type) return null;
  const due = occursAt(
    firedAt,
    member.localTime,
    prefs.timezone,
    typePrefs.days,
  );
  if (!due) return null;
  return {
    occurrence: {
      userId: member.userId,
      type: member.type,
      localDate: due.localDate,
      localTime: member.localTime,
    },
    prefs,
    type,
    weekday: due.weekday,
    deferrable: true,
  };
}

/** The slot of the member's next occurrence after `after`, if any. */
function nextSlot(
  member: StoredMember,
  prefs: Preferences,
  type: NotificationType | undefined,
  after: number,
): string | null {
  const typePrefs = stillWanted(prefs, member, type);
  if (typeof typePrefs === "string") return null;
  const next = nextOccurrence(
    after,
    member.localTime,
    prefs.timezone,
    typePrefs.days,
  );
  return next === null ? null : slotAt(next);
}

/** Slots that gained their first member or lost their last follow. */
async function followMoves(
  ctx: ServiceContext,
  slot: string,
  moves: readonly { to: string }[],
): Promise<void> {
  const out = await slotsOutOfStep({
    ctx,
    slots: [slot, ...moves.map((m) => m.to)],
  });
  if (out.length === 0) return;
  try {
    await syncSlots({ ctx, slots: out });
  } catch {
    // The members moved; the maintenance sweep makes the schedules follow.
    ctx.log.warn("slot.pending", { slots: out.length });
  }
}

/**
 * The page's users' preferences, read in one query: null for a row that
 * cannot be read (that member's delivery fails, and is recorded), absent
 * for a user with none (a member left behind: nothing to deliver).
 */
async function preferencesByUser(
  ctx: ServiceContext,
  members: readonly StoredMember[],
  catalogue: Catalogue,
): Promise<Map<string, Preferences | null>> {
  const rows = await preferencesOfUsers(ctx.db, [
    ...new Set(members.map((m) => m.userId)),
  ]);
  const out = new Map<string, Preferences | null>();
  for (const row of rows) {
    try {
      out.set(row.userId, decodeStoredPreferences(row.data, catalogue));
    } catch {
      out.set(row.userId, null);
    }
  }
  return out;
}

function count(report: SlotPageReport, outcome: DeliveryOutcome) {
  if (outcome.status === "sent") report.sent++;
  else if (outcome.status === "duplicate") report.duplicates++;
  else if (outcome.status === "deferred") report.deferred++;
  else report.skipped++;
}

/** QStash dedup ids keep to a safe alphabet: a hash of where the page starts. */
async function pageDedupId(
  slot: string,
  firedAt: number,
  after: string,
): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(after),
  );
  const hex = Array.from(
    new Uint8Array(digest).slice(0, 12),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `slot-${slot}-${firedAt}-${hex}`;
}
