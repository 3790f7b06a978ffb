/**
 * drizzle-orm over the dev server: the migrator (drizzle-kit's folder format,
 * applied through the client's `migrate()` batch) and everyday queries,
 * including a transaction with a rolled-back savepoint.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { count, desc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql/web";
import { migrate } from "drizzle-orm/libsql/migrator";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { libsqlTest } from "./libsql_harness.ts";

const notes = sqliteTable("notes", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  author: text("author").notNull(),
  body: text("body").notNull(),
  pinned: integer("pinned", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
});

const migrationsFolder = fileURLToPath(
  new URL("./fixtures/libsql_migrations", import.meta.url),
);

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

export function registerDrizzleTests(): void {
  libsqlTest(
    "drizzle's migrator applies a drizzle-kit folder exactly once",
    async (fx) => {
      const db = drizzle(fx.client());
      await migrate(db, { migrationsFolder });
      await migrate(db, { migrationsFolder });

      const applied = await db.all(sql`SELECT hash FROM __drizzle_migrations`);
      assert.equal(applied.length, 1);
      const indexes = await db.all(
        sql`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'notes_author_idx'`,
      );
      assert.equal(indexes.length, 1);
    },
  );

  libsqlTest(
    "drizzle inserts, updates and selects through the dev server",
    async (fx) => {
      const db = drizzle(fx.client());
      await migrate(db, { migrationsFolder });

      const [first] = await db.insert(notes)
        .values({ author: "ana", body: "hello", createdAt: at(0) })
        .returning();
      assert.equal(first?.id, 1);
      assert.equal(first?.pinned, false);
      await db.insert(notes).values([
        { author: "ana", body: "second", createdAt: at(1_000) },
        { author: "bo", body: "other", createdAt: at(2_000) },
      ]);
      await db.update(notes).set({ pinned: true }).where(eq(notes.id, 1));

      const anas = await db.select().from(notes).where(eq(notes.author, "ana"))
        .orderBy(desc(notes.id));
      assert.deepEqual(anas.map((note) => [note.body, note.pinned]), [[
        "second",
        false,
      ], ["hello", true]]);
      assert.deepEqual(anas[1]?.createdAt, at(0));
    },
  );

  libsqlTest(
    "drizzle transactions commit and roll back nested savepoints",
    async (fx) => {
      const db = drizzle(fx.client());
      await migrate(db, { migrationsFolder });

      await db.transaction(async (tx) => {
        await tx.insert(notes).values({
          author: "ana",
          body: "kept",
          createdAt: at(0),
        });
        await assert.rejects(
          tx.transaction(async (inner) => {
            await inner.insert(notes).values({
              author: "ana",
              body: "undone",
              createdAt: at(1),
            });
            throw new Error("undo the inner savepoint");
          }),
          /undo the inner savepoint/,
        );
      });
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.insert(notes).values({
            author: "bo",
            body: "rolled back",
            createdAt: at(2),
          });
          tx.rollback();
        }),
      );

      const rows = await db.select({ body: notes.body }).from(notes);
      assert.deepEqual(rows, [{ body: "kept" }]);
      const [total] = await db.select({ n: count() }).from(notes);
      assert.equal(total?.n, 1);
    },
  );
}
