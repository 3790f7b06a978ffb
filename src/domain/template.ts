/**
 * Renders "{{name}}" placeholders. Unknown names render empty rather than
 * leaking the placeholder into a user's notification.
 */
export function renderTemplate(
  template: string,
  vars: Readonly<Record<string, string>>,
): string {
  return template.replace(
    /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g,
    (_, name: string) => vars[name] ?? "",
  );
}
