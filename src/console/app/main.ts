import { adminKey, api, ApiError } from "./api.ts";
import { cataloguePage } from "./catalogue.ts";
import { h, say } from "./dom.ts";
import { jobsPage } from "./jobs.ts";
import { overviewPage } from "./overview.ts";
import { schedulesPage } from "./schedules.ts";
import { usersPage } from "./users.ts";

/**
 * The operator's console: the admin key is asked for once and kept in
 * sessionStorage; pages are chosen by the URL's fragment (`#users?user=…`)
 * so the browser's history and links work, and each page is drawn from
 * Herald's public API alone.
 */
type Page = (
  root: HTMLElement,
  query: URLSearchParams,
  signal: AbortSignal,
) => void | Promise<void>;

const PAGES: Record<string, Page> = {
  overview: (root, _q, signal) => overviewPage(root, signal),
  users: usersPage,
  schedules: (root) => schedulesPage(root),
  catalogue: cataloguePage,
  jobs: jobsPage,
};

const main = document.getElementById("main")!;
let leaving = new AbortController();

async function show() {
  leaving.abort();
  leaving = new AbortController();
  const [asked = "", rest = ""] = location.hash.slice(1).split("?");
  const name = asked in PAGES ? asked : "overview";
  const page = PAGES[name]!;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    if (link.hash === `#${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const root = h("div", { class: "page", id: `page-${name}` });
  main.replaceChildren(root);
  say("");
  try {
    await page(root, new URLSearchParams(rest), leaving.signal);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return askForKey();
    say(error instanceof Error ? error.message : String(error), "error");
  }
}

function askForKey() {
  const input = h("input", {
    type: "password",
    id: "admin-key",
    autocomplete: "off",
    required: true,
  });
  const form = h(
    "form",
    { id: "key-form", class: "panel" },
    h("h2", {}, "Admin key"),
    h("p", { class: "meta" }, "Kept in this tab's session storage only."),
    h("label", {}, "API key ", input),
    h("button", {}, "Enter"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    adminKey.set(input.value);
    try {
      await api("/v1/scheduler/status?limit=1");
      await show();
    } catch {
      adminKey.clear();
      say("That key is not accepted.", "error");
    }
  });
  main.replaceChildren(form);
  input.focus();
}

document.getElementById("forget")?.addEventListener("click", () => {
  adminKey.clear();
  askForKey();
});
addEventListener("hashchange", () => void show());
if (adminKey.get()) void show();
else askForKey();
