/**
 * "types.morningDigest.times[0]" from zod's path segments: the form a 400's
 * fields, the preferences' own messages and logs all show.
 */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}
