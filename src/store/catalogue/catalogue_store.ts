import { and, asc, eq, sql } from "drizzle-orm";
import {
  type Catalogue,
  catalogueOf,
  type NotificationType,
} from "../../domain/catalogue/catalogue.ts";
import {
  definitionOf,
  typeDefinitionSchema,
} from "../../domain/catalogue/notification_type.ts";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { notificationTypes, catalogueRevision } = schema;

/** A type as stored: its definition, version and times. */
export interface StoredType extends NotificationType {
  version: number;
  createdAt: number;
  updatedAt: number;
}

type Row = typeof notificationTypes.$inferSelect;

/** Parsed, not cast: a row from an older Herald must fail loudly. */
function fromRow(row: Row): StoredType {
  const definition = typeDefinitionSchema.parse(JSON.parse(row.definition));
  return {
    id: row.id,
    ...definition,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function storedDefinition(type: NotificationType): string {
  return JSON.stringify(definitionOf(type));
}

/** Every type, in the order they were made. */
export async function listTypes(db: Database): Promise<StoredType[]> {
  return (await listTypesQuery(db)).map(fromRow);
}

function listTypesQuery(db: Database) {
  return db.select().from(notificationTypes)
    .orderBy(asc(notificationTypes.position), asc(notificationTypes.id));
}

/** The catalogue's revision, for a batch (catalogueRevisionOf reads it). */
export function catalogueRevisionQuery(db: Database) {
  return db.select({ revision: catalogueRevision.revision })
    .from(catalogueRevision).where(eq(catalogueRevision.id, 1));
}

export function catalogueRevisionOf(
  rows: readonly { revision: number }[],
): number {
  return rows[0]?.revision ?? 0;
}

/** Goes with every change of a type, in its batch. */
function bumpRevisionQuery(db: Database) {
  return db.insert(catalogueRevision).values({ id: 1, revision: 1 })
    .onConflictDoUpdate({
      target: catalogueRevision.id,
      set: { revision: sql`${catalogueRevision.revision} + 1` },
    }).returning({ revision: catalogueRevision.revision });
}

/** A type written, and the catalogue's revision after it. */
export interface TypeWrite {
  type: StoredType;
  revision: number;
}

/** A change's batch read back: null when it matched no row. */
function writeOf(
  rows: readonly Row[],
  revision: readonly { revision: number }[],
): TypeWrite | null {
  const row = rows[0];
  return row
    ? { type: fromRow(row), revision: catalogueRevisionOf(revision) }
    : null;
}

export async function getType(
  db: Database,
  id: string,
): Promise<StoredType | null> {
  const rows = await db.select().from(notificationTypes)
    .where(eq(notificationTypes.id, id)).limit(1);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Adds a type at the end of the catalogue; null when the id is taken. */
export async function insertType(
  db: Database,
  type: NotificationType,
  now: number,
): Promise<TypeWrite | null> {
  const [rows, revision] = await db.batch([
    db.insert(notificationTypes).values({
      id: type.id,
      version: 1,
      definition: storedDefinition(type),
      position:
        sql`coalesce((select max(${notificationTypes.position}) from ${notificationTypes}), 0) + 1`,
      createdAt: now,
      updatedAt: now,
    }).onConflictDoNothing().returning(),
    bumpRevisionQuery(db),
  ]);
  return writeOf(rows, revision);
}

/**
 * Replaces a type's definition if it is still at `version` (a concurrent
 * change of the same type loses, and the caller says so); null otherwise.
 */
export async function updateType(
  db: Database,
  type: NotificationType,
  version: number,
  now: number,
): Promise<TypeWrite | null> {
  const [rows, revision] = await db.batch([
    db.update(notificationTypes).set({
      definition: storedDefinition(type),
      version: version + 1,
      updatedAt: now,
    }).where(and(
      eq(notificationTypes.id, type.id),
      eq(notificationTypes.version, version),
    )).returning(),
    bumpRevisionQuery(db),
  ]);
  return writeOf(rows, revision);
}

/** Deletes a type if it is still at `version`; its last state, or null. */
export async function deleteType(
  db: Database,
  id: string,
  version: number,
): Promise<TypeWrite | null> {
  const [rows, revision] = await db.batch([
    db.delete(notificationTypes).where(and(
      eq(notificationTypes.id, id),
      eq(notificationTypes.version, version),
    )).returning(),
    bumpRevisionQuery(db),
  ]);
  return writeOf(rows, revision);
}

/**
 * The catalogue as one isolate sees it: read from libSQL with its revision
 * and kept, so a request does not pay a query for it. Asked at a revision
 * (one a reconcile read with its lease, or a change just made), it is
 * reloaded unless it is at least that new; asked without one, it is
 * trusted for `ttlMs` (deliveries and validation, where a change a few
 * seconds old is harmless: stored choices about unknown types are ignored);
 * asked for the "latest", it is read now.
 */
export interface CatalogueCache {
  /** "latest": read it now, whatever is cached. */
  get(db: Database, atRevision?: number | "latest"): Promise<Catalogue>;
}

export function createCatalogueCache(ttlMs = 5_000): CatalogueCache {
  // Wall time: how long an answer is trusted has nothing to do with the
  // dev clock. Only the answer is shared between requests, never a pending
  // read (Workers refuse I/O begun by another request).
  let cached: { catalogue: Catalogue; revision: number; at: number } | null =
    null;
  return {
    async get(db, atRevision) {
      if (
        cached && atRevision !== "latest" &&
        (atRevision === undefined
          ? Date.now() - cached.at < ttlMs
          : cached.revision >= atRevision)
      ) {
        return cached.catalogue;
      }
      const [rows, revision] = await db.batch([
        listTypesQuery(db),
        catalogueRevisionQuery(db),
      ]);
      const loaded = {
        catalogue: catalogueOf(rows.map(fromRow)),
        revision: catalogueRevisionOf(revision),
        at: Date.now(),
      };
      // Two requests may load at once: the newer answer stays.
      if (!cached || loaded.revision >= cached.revision) cached = loaded;
      return loaded.catalogue;
    },
  };
}
