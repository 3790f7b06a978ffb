/**
 * Dev-only: how many SQL statements the server has run, and how many of
 * them wrote (INSERT, UPDATE, DELETE, DDL) — so a benchmark can say what a
 * request costs in statements, as Turso bills rows and statements, instead
 * of guessing. Transaction control (BEGIN, COMMIT…) is not counted.
 */
export class StatementCounts {
  statements = 0;
  writes = 0;

  count(kind: { isWrite: boolean }): void {
    this.statements++;
    if (kind.isWrite) this.writes++;
  }

  snapshot(): { statements: number; writes: number } {
    return { statements: this.statements, writes: this.writes };
  }
}
