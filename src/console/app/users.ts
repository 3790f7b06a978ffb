import { api, ApiError, enc } from "./api.ts";
import { timeline } from "./charts.ts";
import { h, panel, say, table, when } from "./dom.ts";
import {
  type Change,
  type Notification,
  type NotificationType,
  type Preferences,
  type PreferencesView,
  type Upcoming,
  WEEKDAYS,
} from "./types.ts";

/**
 * One user: find by id, their preferences as a form saved through the API
 * (what would change shown before, what did from the answer after), their
 * next seven days from `upcoming` as a timeline in their zone, inbox, push
 * devices when Herald serves them, and reconcile and drift.
 */
export async function usersPage(root: HTMLElement, query: URLSearchParams) {
  const input = h("input", {
    id: "user-id",
    name: "user",
    required: true,
    autocomplete: "off",
    value: query.get("user") ?? "",
  });
  const out = h("div", { id: "user" });
  const find = h(
    "form",
    { class: "find", role: "search" },
    h("label", {}, "User id ", input),
    h("button", {}, "Find"),
  );
  find.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `#users?user=${enc(input.value.trim())}`;
  });
  root.append(find, out);
  const userId = query.get("user");
  if (userId) await showUser(out, userId);
  else input.focus();
  root.dataset.ready = "true";
}

async function showUser(out: HTMLElement, userId: string) {
  const base = `/v1/users/${enc(userId)}`;
  const [view, catalogue] = await Promise.all([
    api<PreferencesView>(`${base}/preferences`),
    api<{ types: NotificationType[] }>("/v1/types"),
  ]);
  const timelineBox = h("div", { id: "timeline" });
  const refreshTimeline = async () => {
    const { items } = await api<Upcoming>(`${base}/upcoming?days=7`);
    const zone = items[0]?.timezone ?? view.preferences.timezone;
    timelineBox.replaceChildren(
      timeline(items, zone),
      items.length === 0
        ? h("p", { class: "meta" }, "Nothing in the next 7 days.")
        : table(
          ["when (their zone)", "type", "occurrence", "push", "deferred"],
          items.map((
            i,
          ) => [
            when(i.at, zone),
            i.type,
            `${i.localDate} ${i.localTime}`,
            i.channels.push ? "yes" : "no",
            i.deferredBy ?? "",
          ]),
        ),
    );
    timelineBox.dataset.count = String(items.length);
  };
  out.replaceChildren(
    h(
      "h2",
      {},
      userId,
      " ",
      h(
        "span",
        { class: "meta" },
        `version ${view.version} · ${view.sync.status}`,
      ),
    ),
    preferencesForm({
      base,
      view,
      catalogue: catalogue.types,
      saved: refreshTimeline,
    }),
    panel(`Next 7 days (${view.preferences.timezone})`, timelineBox),
    await inboxPanel(base),
    await pushPanel(base),
    repairPanel(userId),
  );
  await refreshTimeline();
}

interface PushDevice {
  endpointOrigin: string;
  label: string | null;
  createdAt: string;
  lastSeenAt: string;
}

interface FormContext {
  base: string;
  view: PreferencesView;
  catalogue: readonly NotificationType[];
  saved: () => Promise<void>;
}

function preferencesForm(ctx: FormContext): HTMLElement {
  let current = ctx.view.preferences;
  const p = current;
  const enabled = h("input", {
    type: "checkbox",
    name: "enabled",
    checked: p.enabled,
  });
  const push = h("input", {
    type: "checkbox",
    name: "push",
    checked: p.channels.push,
  });
  const zone = h("input", {
    name: "timezone",
    value: p.timezone,
    required: true,
  });
  const quietStart = h("input", {
    name: "quietStart",
    placeholder: "22:00",
    value: p.quietHours?.start ?? "",
    size: 5,
  });
  const quietEnd = h("input", {
    name: "quietEnd",
    placeholder: "07:00",
    value: p.quietHours?.end ?? "",
    size: 5,
  });
  const rows = ctx.catalogue.map((t) => {
    const pref = p.types[t.id] ?? {
      enabled: t.enabled,
      times: t.times,
      days: t.days,
      channels: { push: t.channels.push !== "off" },
    };
    const on = h("input", {
      type: "checkbox",
      "data-type": t.id,
      "data-field": "enabled",
      checked: pref.enabled,
      disabled: t.critical,
      "aria-label": `${t.id} on`,
    });
    const typePush = h("input", {
      type: "checkbox",
      "data-type": t.id,
      "data-field": "push",
      checked: pref.channels.push,
      disabled: t.critical,
      "aria-label": `${t.id} push`,
    });
    const times = h("input", {
      "data-type": t.id,
      "data-field": "times",
      value: pref.times.join(", "),
      "aria-label": `${t.id} times`,
    });
    const days = WEEKDAYS.map((d) =>
      h(
        "label",
        { class: "day" },
        h("input", {
          type: "checkbox",
          "data-type": t.id,
          "data-day": d,
          checked: pref.days.includes(d),
        }),
        d,
      )
    );
    return h(
      "fieldset",
      { class: "type" },
      h(
        "legend",
        {},
        t.label,
        " ",
        h("code", {}, t.id),
        t.critical ? " (critical)" : "",
      ),
      h("label", {}, on, " on"),
      h("label", {}, typePush, " push"),
      h("label", {}, "times ", times),
      h("div", { class: "days" }, ...days),
    );
  });
  const before = h("div", {
    class: "diff",
    id: "diff-before",
    "aria-live": "polite",
  });
  const after = h("div", {
    class: "diff",
    id: "diff-after",
    "aria-live": "polite",
  });
  const errors = h("ul", { class: "error", id: "form-errors" });
  const form = h(
    "form",
    { id: "preferences" },
    h("label", {}, enabled, " notifications on"),
    h("label", {}, push, " Web Push on"),
    h("label", {}, "time zone ", zone),
    h("label", {}, "quiet hours ", quietStart, " – ", quietEnd),
    ...rows,
    h("h3", {}, "Would change"),
    before,
    h("button", { type: "submit", id: "save" }, "Save"),
    errors,
    h("h3", {}, "Changed"),
    after,
  );
  const read = (): Preferences => {
    const types: Preferences["types"] = {};
    for (const t of ctx.catalogue) {
      const q = (sel: string) =>
        form.querySelector<HTMLInputElement>(`[data-type="${t.id}"]${sel}`);
      types[t.id] = {
        enabled: q('[data-field="enabled"]')?.checked ?? false,
        times: (q('[data-field="times"]')?.value ?? "").split(/[\s,]+/).filter(
          Boolean,
        ),
        days: WEEKDAYS.filter((d) => q(`[data-day="${d}"]`)?.checked),
        channels: { push: q('[data-field="push"]')?.checked ?? false },
      };
    }
    return {
      enabled: enabled.checked,
      timezone: zone.value.trim(),
      quietHours: quietStart.value || quietEnd.value
        ? { start: quietStart.value.trim(), end: quietEnd.value.trim() }
        : null,
      channels: { push: push.checked },
      types,
    };
  };
  form.addEventListener(
    "input",
    () => before.replaceChildren(changeList(diff(current, read()))),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    errors.replaceChildren();
    try {
      const result = await api<{ preferences: Preferences; changes: Change[] }>(
        `${ctx.base}/preferences`,
        { method: "PUT", body: read() },
      );
      current = result.preferences;
      after.replaceChildren(changeList(result.changes));
      before.replaceChildren(changeList([]));
      say(`Saved: ${result.changes.length} change(s)`);
      await ctx.saved();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      errors.replaceChildren(
        h("li", {}, error.message),
        ...error.fields.map((f) => h("li", {}, `${f.path}: ${f.message}`)),
      );
    }
  });
  before.replaceChildren(changeList([]));
  return panel("Preferences", form);
}

/** Field-by-field differences, as the API's `changes` names them. */
function diff(from: unknown, to: unknown, path = ""): Change[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])];
    return keys.flatMap((k) => diff(from[k], to[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(from) === JSON.stringify(to)
    ? []
    : [{ path, from, to }];
}

function changeList(changes: readonly Change[]): HTMLElement {
  if (changes.length === 0) return h("p", { class: "meta" }, "nothing");
  return h(
    "ul",
    {},
    ...changes.map((c) =>
      h(
        "li",
        {},
        h("code", {}, c.path),
        ` ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`,
      )
    ),
  );
}

async function inboxPanel(base: string): Promise<HTMLElement> {
  const [{ items }, { unread }] = await Promise.all([
    api<{ items: Notification[] }>(`${base}/notifications?limit=20`),
    api<{ unread: number }>(`${base}/notifications/count`),
  ]);
  return panel(
    `Inbox (${unread} unread)`,
    items.length === 0 ? h("p", { class: "meta" }, "Empty.") : table(
      ["when", "type", "title", "read", "live", "pushed"],
      items.map((
        n,
      ) => [
        when(n.createdAt),
        n.type,
        n.title,
        n.readAt ? "read" : "unread",
        String(n.channels?.live ?? "–"),
        String(n.channels?.push ?? "–"),
      ]),
    ),
  );
}

/** The user's push devices: where each sends, and when a page last saw it. */
async function pushPanel(base: string): Promise<HTMLElement> {
  try {
    const { items } = await api<{ items: PushDevice[] }>(
      `${base}/push-subscriptions`,
    );
    const devices = panel(
      "Push devices",
      items.length === 0 ? h("p", { class: "meta" }, "None.") : table(
        ["device", "push service", "since", "last seen"],
        items.map((d) => [
          d.label ?? "unlabelled",
          d.endpointOrigin,
          when(d.createdAt),
          when(d.lastSeenAt),
        ]),
      ),
    );
    devices.id = "push-devices";
    return devices;
  } catch (error) {
    // Without VAPID keys Herald answers 404: push is off.
    if (error instanceof ApiError && error.status === 404) {
      return panel(
        "Push devices",
        h("p", { class: "meta" }, "Push is off on this Herald."),
      );
    }
    throw error;
  }
}

function repairPanel(userId: string): HTMLElement {
  const result = h("div", { id: "repair-result", "aria-live": "polite" });
  const run = (what: string, work: () => Promise<unknown>) => async () => {
    result.textContent = `${what}…`;
    try {
      const answer = await work();
      result.replaceChildren(h("pre", {}, JSON.stringify(answer, null, 2)));
    } catch (error) {
      result.replaceChildren(h("p", { class: "error" }, String(error)));
    }
  };
  return panel(
    "Schedules",
    h("button", {
      type: "button",
      id: "reconcile",
      click: run(
        "Reconciling",
        () =>
          api(`/v1/scheduler/users/${enc(userId)}/reconcile`, {
            method: "POST",
          }),
      ),
    }, "Reconcile"),
    h("button", {
      type: "button",
      id: "drift",
      click: run(
        "Comparing",
        () => api(`/v1/scheduler/drift?userId=${enc(userId)}`),
      ),
    }, "Drift"),
    result,
  );
}
