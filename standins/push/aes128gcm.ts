/**
 * The receiving side of RFC 8291 (Message Encryption for Web Push) over
 * RFC 8188's `aes128gcm` content coding: what a browser does with a push
 * message, done with WebCrypto alone. Pure: bytes and keys in, plaintext
 * (or `UndecryptableMessage`) out.
 */
import { isP256Point } from "./p256_point.ts";

type Bytes = Uint8Array<ArrayBuffer>;

/** salt (16) ‖ rs (4) ‖ idlen (1) ‖ keyid (65, the sender's public key). */
const SALT_BYTES = 16;
const KEY_ID_BYTES = 65;
const HEADER_BYTES = SALT_BYTES + 4 + 1 + KEY_ID_BYTES;
const TAG_BYTES = 16;
/** RFC 8188 §2: a record holds at least a delimiter and the tag. */
const MIN_RECORD_SIZE = 18;
const LAST_RECORD_DELIMITER = 0x02;

export class UndecryptableMessage extends Error {
  override name = "UndecryptableMessage";
}

export interface ReceiverKeys {
  /** The subscription's ECDH P-256 private key (`deriveBits`). */
  privateKey: CryptoKey;
  /** `ua_public`: the subscription's `p256dh`, a 65-byte uncompressed point. */
  publicKey: Bytes;
  /** The subscription's `auth`, 16 bytes. */
  authSecret: Bytes;
}

/** Every secret of RFC 8291 §3.3–3.4 and RFC 8188 §2.2, in order. */
export interface MessageSecrets {
  ecdhSecret: Bytes;
  prkKey: Bytes;
  ikm: Bytes;
  prk: Bytes;
  cek: Bytes;
  nonce: Bytes;
}

export interface DecryptedMessage {
  plaintext: Bytes;
  /** The record size the sender declared. */
  recordSize: number;
  /** `as_public`: the sender's ephemeral key, from the header's keyid. */
  senderPublicKey: Bytes;
  salt: Bytes;
  secrets: MessageSecrets;
}

export async function decryptAes128gcm(
  body: Bytes,
  receiver: ReceiverKeys,
): Promise<DecryptedMessage> {
  if (body.length < HEADER_BYTES) {
    throw new UndecryptableMessage(
      `the body is ${body.length} bytes, shorter than the ${HEADER_BYTES}-byte aes128gcm header`,
    );
  }
  const salt = body.slice(0, SALT_BYTES);
  const recordSize = new DataView(body.buffer, body.byteOffset + SALT_BYTES, 4)
    .getUint32(0);
  const idLength = body[SALT_BYTES + 4];
  if (idLength !== KEY_ID_BYTES) {
    throw new UndecryptableMessage(
      `the header's keyid is ${idLength} bytes, not a 65-byte P-256 public key`,
    );
  }
  if (recordSize < MIN_RECORD_SIZE) {
    throw new UndecryptableMessage(
      `the record size ${recordSize} is below ${MIN_RECORD_SIZE}`,
    );
  }
  const senderPublicKey = body.slice(SALT_BYTES + 5, HEADER_BYTES);
  const record = body.slice(HEADER_BYTES);
  if (record.length < TAG_BYTES + 1) {
    throw new UndecryptableMessage("the record is too short to hold a tag");
  }
  if (record.length > recordSize) {
    // RFC 8291 §4: a push message is a single record.
    throw new UndecryptableMessage(
      `the body holds more than one record (${record.length} bytes, record size ${recordSize})`,
    );
  }
  const sender = await importSenderKey(senderPublicKey);
  const ecdhSecret = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "ECDH", public: sender },
      receiver.privateKey,
      256,
    ),
  );
  const secrets = await deriveMessageSecrets({
    ecdhSecret,
    authSecret: receiver.authSecret,
    receiverPublicKey: receiver.publicKey,
    senderPublicKey,
    salt,
  });
  const padded = await openRecord(record, secrets);
  return {
    plaintext: removePadding(padded),
    recordSize,
    senderPublicKey,
    salt,
    secrets,
  };
}

export interface SecretsInput {
  ecdhSecret: Bytes;
  authSecret: Bytes;
  receiverPublicKey: Bytes;
  senderPublicKey: Bytes;
  salt: Bytes;
}

/** RFC 8291 §3.3–3.4: from the shared secret to the content key and nonce. */
export async function deriveMessageSecrets(
  input: SecretsInput,
): Promise<MessageSecrets> {
  const prkKey = await hmac(input.authSecret, input.ecdhSecret);
  const keyInfo = concat(
    ascii("WebPush: info\0"),
    input.receiverPublicKey,
    input.senderPublicKey,
  );
  const ikm = await hmac(prkKey, concat(keyInfo, ONE));
  const prk = await hmac(input.salt, ikm);
  const cek =
    (await hmac(prk, concat(ascii("Content-Encoding: aes128gcm\0"), ONE)))
      .slice(0, 16);
  const nonce =
    (await hmac(prk, concat(ascii("Content-Encoding: nonce\0"), ONE)))
      .slice(0, 12);
  return { ecdhSecret: input.ecdhSecret, prkKey, ikm, prk, cek, nonce };
}

async function importSenderKey(raw: Bytes): Promise<CryptoKey> {
  if (!isP256Point(raw)) {
    throw new UndecryptableMessage(
      "the header's keyid is not a P-256 public key",
    );
  }
  try {
    return await crypto.subtle.importKey(
      "raw",
      raw,
      { name: "ECDH", namedCurve: "P-256" },
      false,
      [],
    );
  } catch {
    throw new UndecryptableMessage(
      "the header's keyid is not a P-256 public key",
    );
  }
}

async function openRecord(
  record: Bytes,
  secrets: MessageSecrets,
): Promise<Bytes> {
  const key = await crypto.subtle.importKey(
    "raw",
    secrets.cek,
    "AES-GCM",
    false,
    ["decrypt"],
  );
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: secrets.nonce, tagLength: 128 },
        key,
        record,
      ),
    );
  } catch {
    throw new UndecryptableMessage(
      "the record does not decrypt with this subscription's keys",
    );
  }
}

/** RFC 8188 §2: plaintext ‖ delimiter ‖ zero padding; the last record's is 2. */
function removePadding(padded: Bytes): Bytes {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== LAST_RECORD_DELIMITER) {
    throw new UndecryptableMessage(
      "the record has no last-record delimiter (0x02) before its padding",
    );
  }
  return padded.slice(0, end);
}

const ONE = new Uint8Array([1]);

async function hmac(key: Bytes, data: Bytes): Promise<Bytes> {
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, data));
}

function ascii(text: string): Bytes {
  return new TextEncoder().encode(text);
}

function concat(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
