/** The JSON in a raw body, or null when it is not JSON at all. */
export function jsonOrNull(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
