/**
 * The console's DOM helpers: elements made from data with text set as
 * text (never as HTML), so nothing the API answers can become markup.
 */
export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener>;

function apply(el: Element, attrs: Attrs, children: readonly Child[]) {
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") el.addEventListener(name, value);
    else if (value === true) el.setAttribute(name, "");
    else if (value !== false) el.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs, children);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

export function s(tag: string, attrs: Attrs = {}, ...children: Child[]) {
  const el = document.createElementNS(SVG, tag);
  apply(el, attrs, children);
  return el;
}

/** A titled section of a page. */
export function panel(title: string, ...children: Child[]): HTMLElement {
  return h("section", { class: "panel" }, h("h2", {}, title), ...children);
}

/** A table from rows of cells; the first row is the header. */
export function table(head: readonly string[], rows: readonly Child[][]) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...head.map((c) => h("th", {}, c)))),
    h(
      "tbody",
      {},
      ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c)))),
    ),
  );
}

/** An operator's message: what went wrong, in the page's status line. */
export function say(text: string, kind: "error" | "info" = "info") {
  const status = document.getElementById("status");
  if (!status) return;
  status.textContent = text;
  status.dataset.kind = kind;
}

export function when(iso: string | null, timeZone?: string): string {
  if (iso === null) return "–";
  return new Date(iso).toLocaleString("en-GB", {
    timeZone,
    dateStyle: "medium",
    timeStyle: "short",
  });
}
