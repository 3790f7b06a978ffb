/**
 * A tokenizer that knows just enough of SQLite's lexical rules to split a SQL
 * text into statements and find its parameters. The engine binding prepares only
 * the first statement of a text and cannot report parameters, so the server has
 * to do both itself, the way sqld's parser does before SQLite sees the SQL.
 */

export type TokenKind =
  | "word"
  | "quoted"
  | "string"
  | "param"
  | "semicolon"
  | "open"
  | "close"
  | "other";

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

export interface SqlStatementText {
  text: string;
  tokens: Token[];
}

const PARAM_SIGILS = new Set([":", "@", "$", "#"]);

/** SQLite treats every byte >= 0x80 as part of an identifier. */
function isIdChar(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  return /[A-Za-z0-9_$]/.test(ch) || ch.charCodeAt(0) >= 0x80;
}

function isIdStart(ch: string): boolean {
  return /[A-Za-z_]/.test(ch) || ch.charCodeAt(0) >= 0x80;
}

/** Index just past a quoted run; a doubled quote is an escaped quote. */
function skipQuoted(sql: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** Index just past a `:name`, `@name`, `$name` or `#name` parameter, or -1. */
function skipNamedParam(sql: string, from: number): number {
  let i = from + 1;
  let nameChars = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (isIdChar(ch)) {
      nameChars++;
      i++;
    } else if (ch === "(" && nameChars > 0) {
      // Tcl-style `$name(suffix)` is one parameter.
      const close = sql.indexOf(")", i);
      return close < 0 ? -1 : close + 1;
    } else if (ch === ":" && sql[i + 1] === ":") {
      i += 2;
    } else {
      break;
    }
  }
  return nameChars === 0 ? -1 : i;
}

function skipNumber(sql: string, from: number): number {
  let i = from;
  while (i < sql.length) {
    const ch = sql[i] ?? "";
    const prev = sql[i - 1] ?? "";
    if (/[0-9A-Za-z_.$]/.test(ch)) i++;
    else if ((ch === "+" || ch === "-") && /[eE]/.test(prev)) i++;
    else break;
  }
  return i;
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number) => {
    tokens.push({ kind, text: sql.slice(start, end), start, end });
    i = end;
  };
  while (i < sql.length) {
    const ch = sql[i] ?? "";
    const next = sql[i + 1];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "-" && next === "-") {
      const newline = sql.indexOf("\n", i);
      i = newline < 0 ? sql.length : newline + 1;
    } else if (ch === "/" && next === "*") {
      const close = sql.indexOf("*/", i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (ch === "'") {
      push("string", i, skipQuoted(sql, i, "'"));
    } else if (ch === '"' || ch === "`") {
      push("quoted", i, skipQuoted(sql, i, ch));
    } else if (ch === "[") {
      const close = sql.indexOf("]", i);
      push("quoted", i, close < 0 ? sql.length : close + 1);
    } else if (ch === "?") {
      let end = i + 1;
      while (/[0-9]/.test(sql[end] ?? "")) end++;
      push("param", i, end);
    } else if (PARAM_SIGILS.has(ch) && skipNamedParam(sql, i) > 0) {
      push("param", i, skipNamedParam(sql, i));
    } else if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(next ?? ""))) {
      push("other", i, skipNumber(sql, i));
    } else if (isIdStart(ch)) {
      let end = i + 1;
      while (isIdChar(sql[end])) end++;
      push("word", i, end);
    } else if (ch === ";") {
      push("semicolon", i, i + 1);
    } else if (ch === "(") {
      push("open", i, i + 1);
    } else if (ch === ")") {
      push("close", i, i + 1);
    } else {
      push("other", i, i + 1);
    }
  }
  return tokens;
}

export function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token?.kind === "word" && token.text.toUpperCase() === keyword;
}

/** `[EXPLAIN] CREATE [TEMP|TEMPORARY] TRIGGER`: its body holds semicolons. */
function startsTrigger(tokens: Token[]): boolean {
  let i = isKeyword(tokens[0], "EXPLAIN") ? 1 : 0;
  if (!isKeyword(tokens[i], "CREATE")) return false;
  i++;
  if (isKeyword(tokens[i], "TEMP") || isKeyword(tokens[i], "TEMPORARY")) i++;
  return isKeyword(tokens[i], "TRIGGER");
}

/** A trigger ends at `; END ;`, like sqlite3_complete() decides it. */
function endsTrigger(tokens: Token[]): boolean {
  const last = tokens[tokens.length - 1];
  const beforeLast = tokens[tokens.length - 2];
  return isKeyword(last, "END") && beforeLast?.kind === "semicolon";
}

/** Splits SQL into statements, dropping empty ones (`;;`) and comments around them. */
export function splitStatements(sql: string): SqlStatementText[] {
  const statements: SqlStatementText[] = [];
  let current: Token[] = [];
  const finish = () => {
    const first = current[0];
    const last = current[current.length - 1];
    if (first && last) {
      statements.push({
        text: sql.slice(first.start, last.end),
        tokens: current,
      });
    }
    current = [];
  };
  for (const token of tokenize(sql)) {
    if (token.kind !== "semicolon") {
      current.push(token);
    } else if (
      current.length > 0 && startsTrigger(current) && !endsTrigger(current)
    ) {
      current.push(token);
    } else {
      finish();
    }
  }
  finish();
  return statements;
}
