import { and, eq, gte, sql } from "drizzle-orm";
import { userAudience } from "../../domain/delivery/audience.ts";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { memberships, notificationAudiences } = schema;

/**
 * The rule for what a user's inbox is made of, in one place: everything
 * sent to them directly, and what was sent to each role or topic they hold
 * from the moment they joined it (`memberships.joinedAt`), never the
 * channel's history. Herald resolves audiences when an inbox is read, so
 * every query that reads an inbox — list, count, read one, read all —
 * starts from these rows.
 *
 * Rows of `(held_audience, held_since)`; the column names are unlike any
 * table's, because drizzle refers to a CTE's columns unqualified.
 */
export function heldAudiencesSql(userId: string) {
  const own = userAudience(userId);
  return sql`select ${own} as held_audience, 0 as held_since
    union all
    select ${memberships.channel}, ${memberships.joinedAt} from ${memberships}
    where ${memberships.userId} = ${userId}`;
}

/**
 * `heldAudiencesSql()` for many users in one query: rows of
 * `(held_user, held_audience, held_since)` (a broadcast's reached users'
 * counts, a slot page's).
 */
export function heldAudiencesOfSql(userIds: readonly string[]) {
  const ids = JSON.stringify(userIds);
  const own = userAudience("");
  return sql`select value as held_user, ${own} || value as held_audience,
      0 as held_since from json_each(${ids})
    union all
    select ${memberships.userId}, ${memberships.channel}, ${memberships.joinedAt}
    from ${memberships}
    where ${memberships.userId} in (select value from json_each(${ids}))`;
}

/** `heldAudiencesSql()` as a CTE for drizzle's query builder. */
export function heldAudiences(db: Database, userId: string) {
  return db.$with("held", {
    audience: sql<string>`held_audience`.as("held_audience"),
    since: sql<number>`held_since`.as("held_since"),
  }).as(heldAudiencesSql(userId));
}

/**
 * Joins an audience row to the held audience it belongs to, if it was sent
 * after the join. One index range per held audience:
 * `(audience, created_at ≥ since)`.
 */
export function visibleThrough(held: ReturnType<typeof heldAudiences>) {
  const a = notificationAudiences;
  return and(eq(a.audience, held.audience), gte(a.createdAt, held.since));
}
