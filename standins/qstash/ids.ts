/**
 * Identifiers in QStash's shapes (`msg_…`, `scd_…`). They only need to be
 * unique and unguessable enough for a dev server, so 24 random characters
 * from an alphanumeric alphabet are plenty.
 */
const ALPHABET =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomToken(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  // 256 % 62 leaves a tiny bias; irrelevant for ids that are not secrets.
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

export const newMessageId = (): string => `msg_${randomToken(24)}`;
export const newScheduleId = (): string => `scd_${randomToken(24)}`;
export const newDlqId = (): string => `dlq_${randomToken(24)}`;
export const newJwtId = (): string => `jwt_${randomToken(24)}`;
