/**
 * `Upstash-Retry-Delay` expressions, e.g. `pow(2, retried) * 1000`: arithmetic
 * over the variable `retried` (retries so far, 0 before the first retry) and
 * the functions QStash documents. Parsed once into a closure by a small
 * recursive-descent parser — publishers are untrusted, so no `eval`.
 */
export type RetryDelay = (retried: number) => number;

const FUNCTIONS: Record<string, (...args: number[]) => number> = {
  pow: (a = Number.NaN, b = Number.NaN) => Math.pow(a, b),
  sqrt: (a = Number.NaN) => Math.sqrt(a),
  abs: (a = Number.NaN) => Math.abs(a),
  exp: (a = Number.NaN) => Math.exp(a),
  floor: (a = Number.NaN) => Math.floor(a),
  ceil: (a = Number.NaN) => Math.ceil(a),
  round: (a = Number.NaN) => Math.round(a),
  min: (...xs) => Math.min(...xs),
  max: (...xs) => Math.max(...xs),
};
const ARITY: Record<string, [number, number]> = {
  pow: [2, 2],
  min: [1, Infinity],
  max: [1, Infinity],
};

type Node = (retried: number) => number;
type Token =
  | { kind: "num"; value: number }
  | { kind: "name"; value: string }
  | {
    kind: "op";
    value: string;
  };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(.))/y;
const MAX_LENGTH = 500;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const match = TOKEN.exec(source);
    if (!match) break;
    const [, num, name, op] = match;
    if (num !== undefined) tokens.push({ kind: "num", value: Number(num) });
    else if (name !== undefined) tokens.push({ kind: "name", value: name });
    else if (op !== undefined) {
      if (!"+-*/%(),".includes(op)) throw new Error(`unexpected "${op}"`);
      tokens.push({ kind: "op", value: op });
    }
  }
  return tokens;
}

class Parser {
  #tokens: Token[];
  #at = 0;
  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  parseAll(): Node {
    const node = this.#sum();
    const rest = this.#tokens[this.#at];
    if (rest) throw new Error(`unexpected "${rest.value}"`);
    return node;
  }

  #peekOp(...ops: string[]): string | undefined {
    const token = this.#tokens[this.#at];
    return token?.kind === "op" && ops.includes(token.value)
      ? token.value
      : undefined;
  }

  #expectOp(op: string): void {
    if (!this.#peekOp(op)) throw new Error(`expected "${op}"`);
    this.#at++;
  }

  #sum(): Node {
    let left = this.#product();
    for (let op = this.#peekOp("+", "-"); op; op = this.#peekOp("+", "-")) {
      this.#at++;
      const [l, r] = [left, this.#product()];
      left = op === "+" ? (x) => l(x) + r(x) : (x) => l(x) - r(x);
    }
    return left;
  }

  #product(): Node {
    let left = this.#unary();
    for (
      let op = this.#peekOp("*", "/", "%");
      op;
      op = this.#peekOp("*", "/", "%")
    ) {
      this.#at++;
      const [l, r] = [left, this.#unary()];
      left = op === "*"
        ? (x) => l(x) * r(x)
        : op === "/"
        ? (x) => l(x) / r(x)
        : (x) => l(x) % r(x);
    }
    return left;
  }

  #unary(): Node {
    const op = this.#peekOp("+", "-");
    if (!op) return this.#primary();
    this.#at++;
    const inner = this.#unary();
    return op === "-" ? (x) => -inner(x) : inner;
  }

  #primary(): Node {
    const token = this.#tokens[this.#at++];
    if (!token) throw new Error("unexpected end of expression");
    if (token.kind === "num") return () => token.value;
    if (token.kind === "op" && token.value === "(") {
      const inner = this.#sum();
      this.#expectOp(")");
      return inner;
    }
    if (token.kind === "name" && token.value === "retried") return (x) => x;
    if (token.kind === "name") return this.#call(token.value);
    throw new Error(`unexpected "${token.value}"`);
  }

  #call(name: string): Node {
    const fn = FUNCTIONS[name];
    if (!fn) throw new Error(`unknown function or variable "${name}"`);
    this.#expectOp("(");
    const args: Node[] = [];
    if (!this.#peekOp(")")) {
      args.push(this.#sum());
      while (this.#peekOp(",")) {
        this.#at++;
        args.push(this.#sum());
      }
    }
    this.#expectOp(")");
    const [least, most] = ARITY[name] ?? [1, 1];
    if (args.length < least || args.length > most) {
      throw new Error(`wrong number of arguments to "${name}"`);
    }
    return (x) => fn(...args.map((arg) => arg(x)));
  }
}

/** Compiles an expression; throws an Error describing the first problem. */
export function compileRetryDelay(source: string): RetryDelay {
  if (source.length > MAX_LENGTH) throw new Error("expression is too long");
  const node = new Parser(tokenize(source)).parseAll();
  return (retried) => {
    const value = node(retried);
    // A broken expression must not stall or hot-loop the queue.
    return Number.isFinite(value) && value > 0 ? value : 0;
  };
}
