/**
 * Conversion between Hrana values and what the SQLite binding takes and gives.
 * Integers travel as decimal strings and bigints end to end, so 64-bit values
 * keep their precision; floats stay JS numbers, which the binding stores as
 * REAL even when integral — exactly what sqld does with a `float` value.
 */
import type { HranaValue, ProtoValue } from "./hrana_schema.ts";

export type EngineValue = null | bigint | number | string | Uint8Array;

/** Decodes standard base64, with or without padding; null when malformed. */
export function decodeBase64(text: string): Uint8Array | null {
  const unpadded = text.replace(/=+$/, "");
  if (unpadded.length % 4 === 1) return null;
  const padded = unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4);
  try {
    const binary = atob(padded);
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

function encodeBase64(bytes: Uint8Array): string {
  const CHUNK = 0x8000;
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

export function toEngineValue(value: HranaValue): EngineValue {
  switch (value.type) {
    case "null":
      return null;
    case "integer":
    case "float":
    case "text":
      return value.value;
    case "blob":
      return value.base64;
  }
}

/** Maps a column value read with safe integers on (integers arrive as bigint). */
export function fromEngineValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { type: "null" };
  if (typeof value === "bigint") {
    return { type: "integer", value: value.toString() };
  }
  if (typeof value === "number") return { type: "float", value };
  if (typeof value === "string") return { type: "text", value };
  if (value instanceof Uint8Array) {
    return { type: "blob", base64: encodeBase64(value) };
  }
  throw new TypeError(`Unexpected value of type ${typeof value} from SQLite`);
}
