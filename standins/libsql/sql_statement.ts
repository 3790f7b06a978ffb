import { isKeyword, type SqlStatementText, type Token } from "./sql_lexer.ts";

/** What the server needs to know about one statement before running it. */
export interface StatementInfo {
  text: string;
  /**
   * One entry per SQLite parameter index (1-based index = position + 1): the
   * name as sqlite3_bind_parameter_name() reports it (`:a`, `?3`) or null for
   * a bare `?` or an index nobody named.
   */
  paramNames: (string | null)[];
  isExplain: boolean;
  /** INSERT/REPLACE/UPDATE/DELETE: sqld reports changes() only for these. */
  isIud: boolean;
  /** INSERT/REPLACE: sqld reports last_insert_rowid() only for these. */
  isInsert: boolean;
  /** BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE: no rows, no columns. */
  isTransactionControl: boolean;
  /** DML or DDL, which needs the write lock and is fine inside a transaction. */
  isWrite: boolean;
}

const TRANSACTION_VERBS = [
  "BEGIN",
  "COMMIT",
  "END",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
];
const DDL_VERBS = ["CREATE", "DROP", "ALTER", "REINDEX", "ANALYZE"];

const DML_KEYWORDS = [
  "SELECT",
  "VALUES",
  "INSERT",
  "REPLACE",
  "UPDATE",
  "DELETE",
];

/** The keyword that decides the statement's kind, looking past a WITH clause. */
function leadingVerb(tokens: Token[]): string {
  const first = tokens[0];
  if (!first || first.kind !== "word") return "";
  const verb = first.text.toUpperCase();
  if (verb !== "WITH") return verb;
  let depth = 0;
  for (const token of tokens.slice(1)) {
    if (token.kind === "open") depth++;
    else if (token.kind === "close") depth--;
    else if (depth === 0 && token.kind === "word") {
      const word = token.text.toUpperCase();
      if (DML_KEYWORDS.includes(word)) return word;
    }
  }
  return verb;
}

/** Assigns parameter indexes the way SQLite's parser does. */
function parameterNames(tokens: Token[]): (string | null)[] {
  const names: (string | null)[] = [];
  for (const token of tokens) {
    if (token.kind !== "param") continue;
    if (token.text === "?") {
      names.push(null);
    } else if (token.text.startsWith("?")) {
      const index = Number(token.text.slice(1));
      // Out-of-range numbers are rejected by SQLite itself when preparing.
      if (!Number.isInteger(index) || index < 1 || index > 32766) continue;
      while (names.length < index) names.push(null);
      if (names[index - 1] === null) names[index - 1] = token.text;
    } else if (!names.includes(token.text)) {
      names.push(token.text);
    }
  }
  return names;
}

export function analyzeStatement(statement: SqlStatementText): StatementInfo {
  const { tokens } = statement;
  const isExplain = isKeyword(tokens[0], "EXPLAIN");
  const verb = isExplain ? "EXPLAIN" : leadingVerb(tokens);
  const isInsert = verb === "INSERT" || verb === "REPLACE";
  const isIud = isInsert || verb === "UPDATE" || verb === "DELETE";
  return {
    text: statement.text,
    paramNames: parameterNames(tokens),
    isExplain,
    isIud,
    isInsert,
    isTransactionControl: TRANSACTION_VERBS.includes(verb),
    isWrite: isIud || DDL_VERBS.includes(verb),
  };
}
