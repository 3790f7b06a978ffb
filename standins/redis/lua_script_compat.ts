import type { RespValue } from "./resp_codec.ts";

/**
 * Upstash accepts Lua shebang flags that redis-server rejects ("ERR Unexpected
 * flag in script shebang"). @upstash/ratelimit ≥ 2.2 starts every script with
 * `#!lua flags=allow-key-locking` (ratelimit-js#154), which only tells Upstash
 * to lock just the declared KEYS — a single redis-server runs scripts one at a
 * time anyway, so dropping the flag changes nothing observable.
 *
 * Dropping it changes the script's SHA1, though, and clients call EVALSHA
 * with the SHA1 of the text they sent. So every SHA that crosses the proxy is
 * translated: client SHA → Redis SHA on the way in, and back on SCRIPT LOAD's
 * reply. The mapping is a pure function of the script text, so it never goes
 * stale; it is merely learned when a script is first seen.
 */
const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);
const MAX_REMEMBERED_SCRIPTS = 1_000;

interface PreparedCommand {
  command: string[];
  /** Maps Redis's reply back to what the client expects. */
  restore: (reply: RespValue) => RespValue;
}

const unchanged = (reply: RespValue) => reply;
const utf8 = new TextEncoder();

export class LuaScriptCompat {
  /** client SHA1 → SHA1 of the script Redis actually stores */
  readonly #redisSha = new Map<string, string>();

  async prepare(command: string[]): Promise<PreparedCommand> {
    const name = (command[0] ?? "").toUpperCase();
    const sub = (command[1] ?? "").toUpperCase();
    if ((name === "EVAL" || name === "EVAL_RO") && command[1] !== undefined) {
      const adapted = await this.#adapt(command[1]);
      return {
        command: replaceAt(command, 1, adapted.script),
        restore: unchanged,
      };
    }
    if (name === "EVALSHA" || name === "EVALSHA_RO") {
      return {
        command: this.#translateFrom(command, 1, 2),
        restore: unchanged,
      };
    }
    if (name === "SCRIPT" && sub === "EXISTS") {
      return { command: this.#translateFrom(command, 2), restore: unchanged };
    }
    if (name === "SCRIPT" && sub === "LOAD" && command[2] !== undefined) {
      const adapted = await this.#adapt(command[2]);
      const restore = (reply: RespValue): RespValue =>
        reply.kind === "bulk" && adapted.clientSha !== undefined
          ? { kind: "bulk", value: utf8.encode(adapted.clientSha) }
          : reply;
      return { command: replaceAt(command, 2, adapted.script), restore };
    }
    return { command, restore: unchanged };
  }

  /** Translates SHA arguments from index `from` (up to `to`, exclusive). */
  #translateFrom(command: string[], from: number, to = command.length) {
    return command.map((arg, i) =>
      i >= from && i < to ? this.#redisSha.get(arg.toLowerCase()) ?? arg : arg
    );
  }

  async #adapt(
    script: string,
  ): Promise<{ script: string; clientSha?: string }> {
    const adapted = withoutUpstashFlags(script);
    if (adapted === script) return { script };
    const [clientSha, redisSha] = await Promise.all([
      sha1(script),
      sha1(adapted),
    ]);
    if (this.#redisSha.size >= MAX_REMEMBERED_SCRIPTS) this.#redisSha.clear();
    this.#redisSha.set(clientSha, redisSha);
    return { script: adapted, clientSha };
  }
}

/**
 * Rewrites only the shebang line, keeping its line break so line numbers in
 * Lua error messages stay the same. Flags Redis knows are kept.
 */
function withoutUpstashFlags(script: string): string {
  const match = script.match(/^#!lua([^\n]*)/);
  if (!match) return script;
  const options = (match[1] ?? "").trim().split(/\s+/).filter(Boolean);
  let changed = false;
  const kept = options.map((option) => {
    if (!option.startsWith("flags=")) return option;
    const flags = option.slice("flags=".length).split(",");
    const known = flags.filter((flag) => !UPSTASH_ONLY_FLAGS.has(flag));
    changed ||= known.length !== flags.length;
    return `flags=${known.join(",")}`;
  });
  if (!changed) return script;
  const shebang = ["#!lua", ...kept.filter((o) => o !== "flags=")].join(" ");
  return shebang + script.slice(match[0].length);
}

function replaceAt(command: string[], index: number, value: string): string[] {
  return command.map((arg, i) => (i === index ? value : arg));
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", utf8.encode(text));
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}
