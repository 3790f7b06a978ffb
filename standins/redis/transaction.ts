import type { RespValue } from "./resp_codec.ts";

export type TransactionOutcome =
  | { committed: true; results: RespValue[] }
  | { committed: false; error: string };

/** The batch that runs `commands` atomically on one connection. */
export function wrapInTransaction(commands: string[][]): string[][] {
  return [["MULTI"], ...commands, ["EXEC"]];
}

/**
 * Reads the replies to `wrapInTransaction(...)`: MULTI's OK, one QUEUED (or a
 * queueing error) per command, then EXEC's array. When Redis discards the
 * transaction, the first queueing error says why, so it goes in the message.
 */
export function readTransactionReplies(
  replies: RespValue[],
): TransactionOutcome {
  const exec = replies.at(-1);
  if (exec?.kind === "array") return { committed: true, results: exec.items };
  const queueError = replies.slice(0, -1).find((reply) =>
    reply.kind === "error"
  );
  const reason = queueError?.kind === "error" ? `: ${queueError.message}` : "";
  if (exec?.kind === "error") {
    return {
      committed: false,
      error: `${exec.message.replace(/\.$/, "")}${reason}`,
    };
  }
  return { committed: false, error: `EXECABORT Transaction aborted${reason}` };
}
