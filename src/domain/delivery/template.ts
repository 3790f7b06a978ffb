/**
 * Templates for a notification type's title and body: "{{name}}" for what
 * every scheduled occurrence knows, "{{data.key}}" for what the type's
 * content webhook answered. A template naming anything else is refused when
 * the type is saved, not discovered at delivery.
 */
const PLACEHOLDERS = [
  "localDate",
  "localTime",
  "weekday",
  "timezone",
  "userId",
  "label",
  "digest.count",
] as const;

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)?)\s*\}\}/g;
/** Anything in double braces, to find what PLACEHOLDER would not read. */
const BRACED = /\{\{(.*?)\}\}/g;
const NAME = /^\s*([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)?)\s*$/;
const KNOWN: ReadonlySet<string> = new Set(PLACEHOLDERS);

/**
 * What a template puts in double braces that no occurrence can fill: an
 * unknown name, or something that is not a name at all (which would
 * otherwise reach users as written).
 */
export function unknownPlaceholders(template: string): string[] {
  const unknown = new Set<string>();
  for (const [, inner = ""] of template.matchAll(BRACED)) {
    const name = NAME.exec(inner)?.[1];
    if (name === undefined) unknown.add(inner);
    else if (!KNOWN.has(name) && !name.startsWith("data.")) unknown.add(name);
  }
  return [...unknown];
}

/**
 * Renders the placeholders. A `data.` value the webhook did not send (or a
 * webhook that failed) renders empty rather than leaking the placeholder
 * into a user's notification; objects render as JSON.
 */
export function renderTemplate(
  template: string,
  vars: Readonly<Record<string, string>>,
  data: Readonly<Record<string, unknown>> = {},
): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    if (!name.startsWith("data.")) return vars[name] ?? "";
    const value = data[name.slice(5)];
    if (value === undefined || value === null) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  });
}
