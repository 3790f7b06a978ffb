import {
  renderTemplate,
  unknownPlaceholders,
} from "../../domain/delivery/template.ts";
import { api, ApiError, enc } from "./api.ts";
import { h, panel, say, table } from "./dom.ts";
import { operationProgress } from "./operation_progress.ts";
import { type NotificationType, type Operation, WEEKDAYS } from "./types.ts";

const SEVERITIES = ["low", "medium", "high", "critical"];

/** What the preview fills the placeholders with. */
const SAMPLE = {
  localDate: "2027-03-14",
  localTime: "08:00",
  weekday: "sun",
  timezone: "America/New_York",
  userId: "user-42",
};

/**
 * The catalogue: its types, and a form to create or edit one with a live
 * preview of its templates (rendered by Herald's own template code), the
 * API's errors, and the retype operation's progress after a change.
 */
export async function cataloguePage(root: HTMLElement, query: URLSearchParams) {
  const { types } = await api<{ types: NotificationType[] }>("/v1/types");
  const editing = types.find((t) => t.id === query.get("type")) ?? null;
  root.append(
    panel(
      "Types",
      table(
        ["id", "label", "on", "times", "days", "severity", ""],
        types.map((t) => [
          h("code", {}, t.id),
          t.label,
          t.enabled ? "on" : "off",
          t.times.join(", "),
          t.days.join(" "),
          t.severity + (t.critical ? " · critical" : ""),
          h("a", { href: `#catalogue?type=${enc(t.id)}` }, "edit"),
        ]),
      ),
      h("p", {}, h("a", { href: "#catalogue?type=" }, "New type")),
    ),
    typeForm(editing),
  );
  root.dataset.ready = "true";
}

function typeForm(t: NotificationType | null): HTMLElement {
  const field = (name: string, value: string, attrs = {}) =>
    h("label", {}, `${name} `, h("input", { name, value, ...attrs }));
  const form = h(
    "form",
    { id: "type-form" },
    field("id", t?.id ?? "", t ? { readonly: true } : { required: true }),
    field("label", t?.label ?? ""),
    field("description", t?.description ?? ""),
    h(
      "label",
      {},
      h("input", {
        type: "checkbox",
        name: "enabled",
        checked: t?.enabled ?? true,
      }),
      " on by default",
    ),
    field("times", (t?.times ?? ["09:00"]).join(", ")),
    field("days", (t?.days ?? WEEKDAYS).join(" ")),
    field("title", t?.template.title ?? ""),
    h(
      "label",
      {},
      "body ",
      h("textarea", { name: "body" }, t?.template.body ?? ""),
    ),
    h(
      "label",
      {},
      "severity ",
      h(
        "select",
        { name: "severity" },
        ...SEVERITIES.map((s) =>
          h("option", { selected: s === (t?.severity ?? "medium") }, s)
        ),
      ),
    ),
    h(
      "label",
      {},
      h("input", {
        type: "checkbox",
        name: "critical",
        checked: t?.critical ?? false,
      }),
      " critical",
    ),
    field("webhook", t?.webhook ?? "", { placeholder: "URL (optional)" }),
  );
  const preview = h("div", {
    class: "preview",
    id: "preview",
    "aria-live": "polite",
  });
  const errors = h("ul", { class: "error", id: "type-errors" });
  const progress = h("div", { id: "retype" });
  const value = (name: string) =>
    (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? "";
  const checked = (name: string) =>
    (form.elements.namedItem(name) as HTMLInputElement | null)?.checked ??
      false;
  const definition = () => ({
    label: value("label"),
    description: value("description"),
    enabled: checked("enabled"),
    times: value("times").split(/[\s,]+/).filter(Boolean),
    days: value("days").split(/[\s,]+/).filter(Boolean),
    template: { title: value("title"), body: value("body") },
    severity: value("severity"),
    critical: checked("critical"),
    webhook: value("webhook") || null,
  });
  const showPreview = () => {
    const d = definition();
    const vars = { ...SAMPLE, label: d.label };
    const unknown = [
      ...unknownPlaceholders(d.template.title),
      ...unknownPlaceholders(d.template.body),
    ];
    preview.replaceChildren(
      h("strong", { class: "title" }, renderTemplate(d.template.title, vars)),
      h("div", {}, renderTemplate(d.template.body, vars)),
    );
    if (unknown.length) {
      preview.append(
        h(
          "p",
          { class: "error" },
          `Unknown placeholders: ${unknown.join(", ")}`,
        ),
      );
    }
  };
  form.addEventListener("input", showPreview);
  const save = h(
    "button",
    { type: "button", id: "save-type" },
    t ? "Save" : "Create",
  );
  save.addEventListener("click", async () => {
    errors.replaceChildren();
    try {
      const answer = t
        ? await api<{ type: NotificationType; operation: Operation | null }>(
          `/v1/types/${enc(t.id)}`,
          { method: "PUT", body: definition() },
        )
        : await api<{ type: NotificationType; operation: Operation | null }>(
          "/v1/types",
          { method: "POST", body: { id: value("id"), ...definition() } },
        );
      say(`Saved ${answer.type.id} (version ${answer.type.version})`);
      progress.replaceChildren(
        answer.operation
          ? operationProgress(answer.operation, null)
          : h("p", { class: "meta" }, "The change moves nobody."),
      );
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      errors.replaceChildren(
        h("li", {}, error.message),
        ...error.fields.map((f) => h("li", {}, `${f.path}: ${f.message}`)),
      );
    }
  });
  showPreview();
  return panel(
    t ? `Edit ${t.id}` : "New type",
    form,
    h("h3", {}, "Preview"),
    preview,
    save,
    errors,
    progress,
  );
}
