import type { FeedState } from "./feed_state.ts";
import type { InboxItem } from "./inbox_item.ts";
import { type InboxEvent, InboxStore } from "./inbox_store.ts";
import { ENGLISH, type InboxStrings } from "./inbox_strings.ts";
import { INBOX_CSS } from "./inbox_styles.ts";
import { relativeTime } from "./relative_time.ts";

/**
 * `<herald-inbox url="https://herald.example" token="…">`: a bell with the
 * live unread count and a popover feed, in Shadow DOM, over an InboxStore.
 * Attributes: `url`, `token`, `transport` ("sse" | "websocket"),
 * `page-size`, `poll-max-ms` (the polling ceiling), `locale`. Properties:
 * `tokenProvider` (async, for apps that refresh tokens), `strings`,
 * `renderItem`, and `store` (read only, once connected). Events (bubbling,
 * composed): `herald:notification` {item}, `herald:read` {ids},
 * `herald:count` {unread}.
 */
export type RenderItem = (item: InboxItem) => Node | string | null;

const BELL_SVG =
  '<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/><path d="M13.7 21a2 2 0 0 1-3.4 0"/></svg>';

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; part?: string; text?: string } = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.part) node.setAttribute("part", props.part);
  if (props.text !== undefined) node.textContent = props.text;
  return node;
}

export class HeraldInboxElement extends HTMLElement {
  static observedAttributes = [
    "url",
    "token",
    "transport",
    "page-size",
    "poll-max-ms",
  ];

  tokenProvider: (() => Promise<string>) | null = null;
  renderItem: RenderItem | null = null;
  #strings: InboxStrings = ENGLISH;
  #store: InboxStore | null = null;
  #unsubscribe: (() => void)[] = [];
  #rows = new Map<string, HTMLButtonElement>();
  #clock: ReturnType<typeof setInterval> | null = null;
  #observer: IntersectionObserver | null = null;
  readonly #root: ShadowRoot;
  readonly #bell: HTMLButtonElement;
  readonly #badge: HTMLSpanElement;
  readonly #panel: HTMLDivElement;
  readonly #heading: HTMLHeadingElement;
  readonly #markAll: HTMLButtonElement;
  readonly #note: HTMLDivElement;
  readonly #push: HTMLButtonElement;
  readonly #list: HTMLUListElement;
  readonly #empty: HTMLDivElement;
  readonly #error: HTMLDivElement;
  readonly #errorText: HTMLSpanElement;
  readonly #retry: HTMLButtonElement;
  readonly #more: HTMLDivElement;
  readonly #live: HTMLDivElement;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    const style = el("style");
    style.textContent = INBOX_CSS;
    this.#bell = el("button", { className: "bell", part: "bell" });
    this.#bell.type = "button";
    this.#bell.innerHTML = BELL_SVG;
    this.#bell.setAttribute("aria-expanded", "false");
    this.#bell.setAttribute("aria-controls", "panel");
    this.#badge = el("span", { className: "badge", part: "badge" });
    this.#badge.setAttribute("aria-hidden", "true");
    this.#bell.appendChild(this.#badge);
    this.#panel = el("div", { className: "panel", part: "panel" });
    this.#panel.id = "panel";
    this.#panel.hidden = true;
    this.#panel.setAttribute("role", "dialog");
    this.#heading = el("h2", { part: "title" });
    this.#heading.id = "title";
    this.#heading.tabIndex = -1;
    this.#panel.setAttribute("aria-labelledby", "title");
    this.#markAll = el("button", { className: "act", part: "mark-all" });
    const head = el("div", { className: "head", part: "header" });
    head.replaceChildren(this.#heading, this.#markAll);
    this.#note = el("div", { className: "note", part: "connection" });
    this.#push = el("button", { className: "act note", part: "push" });
    this.#push.hidden = true;
    this.#list = el("ul", { className: "list", part: "list" });
    this.#empty = el("div", { className: "empty", part: "empty" });
    this.#error = el("div", { className: "error", part: "error" });
    this.#error.setAttribute("role", "alert");
    this.#errorText = el("span");
    this.#retry = el("button", { className: "act", part: "retry" });
    this.#error.replaceChildren(this.#errorText, " ", this.#retry);
    this.#more = el("div", { className: "more", part: "more" });
    this.#panel.replaceChildren(
      head,
      this.#note,
      this.#push,
      this.#list,
      this.#empty,
      this.#error,
      this.#more,
    );
    this.#live = el("div", { className: "sr" });
    this.#live.setAttribute("aria-live", "polite");
    this.#root.replaceChildren(style, this.#bell, this.#panel, this.#live);

    this.#bell.addEventListener("click", () => this.toggle());
    this.#markAll.addEventListener(
      "click",
      () => this.#act((s) => s.markAllRead()),
    );
    this.#retry.addEventListener("click", () => void this.#store?.reload());
    this.#push.addEventListener("click", () => void this.#enablePush());
    this.#panel.addEventListener("keydown", (e) => this.#onKey(e));
    this.#bell.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
    this.#list.addEventListener("scroll", () => this.#nearEnd());
  }

  get store(): InboxStore | null {
    return this.#store;
  }

  get strings(): InboxStrings {
    return this.#strings;
  }

  set strings(strings: Partial<InboxStrings>) {
    this.#strings = { ...ENGLISH, ...strings };
    this.#rows.clear();
    this.#list.replaceChildren();
    this.#render();
  }

  get open(): boolean {
    return !this.#panel.hidden;
  }

  connectedCallback(): void {
    document.addEventListener("pointerdown", this.#outside);
    this.#start();
  }

  disconnectedCallback(): void {
    document.removeEventListener("pointerdown", this.#outside);
    this.#stop();
  }

  attributeChangedCallback(
    name: string,
    old: string | null,
    now: string | null,
  ): void {
    // A new token for the same user is read on the next call; anything
    // else (another Herald, another transport) is a new connection. (On
    // upgrade this runs for each attribute before connectedCallback.)
    if (old === now || name === "token" || this.#store === null) return;
    this.#start();
  }

  toggle(): void {
    if (this.open) this.close();
    else this.show();
  }

  show(): void {
    this.#panel.hidden = false;
    this.#bell.setAttribute("aria-expanded", "true");
    this.#clock ??= setInterval(() => this.#render(true), 30_000);
    this.#render(true);
    const first = this.#list.querySelector("button");
    (first ?? this.#heading).focus();
    this.#nearEnd();
  }

  /** Closes the feed; focus goes back to the bell when it was inside. */
  close(): void {
    if (!this.open) return;
    const inside = this.#root.activeElement !== null &&
      this.#root.activeElement !== this.#bell;
    this.#panel.hidden = true;
    this.#bell.setAttribute("aria-expanded", "false");
    if (this.#clock !== null) clearInterval(this.#clock);
    this.#clock = null;
    if (inside) this.#bell.focus();
  }

  readonly #outside = (event: Event) => {
    if (this.open && !event.composedPath().includes(this)) this.close();
  };

  #start(): void {
    this.#stop();
    const url = this.getAttribute("url");
    if (url === null || (!this.tokenProvider && !this.getAttribute("token"))) {
      return;
    }
    const pollMax = Number(this.getAttribute("poll-max-ms"));
    const pageSize = Number(this.getAttribute("page-size"));
    const transport = this.getAttribute("transport") === "websocket"
      ? "websocket"
      : "sse";
    const store = new InboxStore({
      baseUrl: url,
      getToken: () => this.#token(),
      pageSize: pageSize > 0 ? pageSize : undefined,
      live: {
        transport,
        poll: pollMax > 0 ? { maxMs: pollMax } : undefined,
      },
    });
    this.#store = store;
    this.#unsubscribe = [
      store.subscribe(() => this.#render()),
      store.onEvent((event) => this.#heard(event)),
    ];
    this.#render();
    void store.start();
    void store.pushAvailable().then((ok) => this.#push.hidden = !ok);
    if (typeof IntersectionObserver !== "undefined") {
      this.#observer = new IntersectionObserver(() => this.#nearEnd(), {
        root: this.#list,
      });
      this.#observer.observe(this.#more);
    }
  }

  #stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    this.#observer?.disconnect();
    this.#observer = null;
    this.#store?.close();
    this.#store = null;
    this.#rows.clear();
    this.#list.replaceChildren();
  }

  #token(): Promise<string> {
    if (this.tokenProvider) return this.tokenProvider();
    const token = this.getAttribute("token");
    return token
      ? Promise.resolve(token)
      : Promise.reject(new Error("<herald-inbox> has no token"));
  }

  #heard(event: InboxEvent): void {
    const detail = event.type === "notification"
      ? { item: event.item }
      : event.type === "read"
      ? { ids: event.ids }
      : { unread: event.unread };
    this.dispatchEvent(
      new CustomEvent(`herald:${event.type}`, {
        detail,
        bubbles: true,
        composed: true,
      }),
    );
    if (event.type === "notification") {
      this.#live.textContent = this.#strings.announce(event.item.title);
    }
  }

  /** A read that failed was rolled back by the store; nothing else to do. */
  #act(work: (store: InboxStore) => Promise<void>): void {
    if (this.#store) work(this.#store).catch(() => {});
  }

  async #enablePush(): Promise<void> {
    this.#push.disabled = true;
    try {
      await this.#store?.enablePush();
      this.#push.hidden = true;
    } catch {
      // Permission refused or the browser failed: leave the button.
    } finally {
      this.#push.disabled = false;
    }
  }

  #nearEnd(): void {
    const list = this.#list;
    if (
      !this.open || list.scrollHeight - list.scrollTop - list.clientHeight > 80
    ) {
      return;
    }
    void this.#store?.loadMore();
  }

  #onKey(event: KeyboardEvent): void {
    if (event.key === "Escape") {
      event.preventDefault();
      this.close();
      this.#bell.focus();
      return;
    }
    const rows = [...this.#list.querySelectorAll("button")];
    const at = rows.findIndex((r) => r === this.#root.activeElement);
    const to = event.key === "ArrowDown"
      ? Math.min(rows.length - 1, at + 1)
      : event.key === "ArrowUp"
      ? Math.max(0, at - 1)
      : event.key === "Home"
      ? 0
      : event.key === "End"
      ? rows.length - 1
      : null;
    if (to === null || rows.length === 0) return;
    event.preventDefault();
    rows[to]?.focus();
    if (to === rows.length - 1) void this.#store?.loadMore();
  }

  #render(times = false): void {
    const state: FeedState | null = this.#store?.state ?? null;
    const s = this.#strings;
    const unread = state?.unread ?? 0;
    this.#bell.setAttribute("aria-label", s.bell(unread));
    this.#badge.textContent = unread > 99 ? "99+" : String(unread);
    this.#badge.hidden = unread === 0;
    this.#heading.textContent = s.title;
    this.#markAll.textContent = s.markAllRead;
    this.#markAll.disabled = unread === 0;
    this.#push.textContent = s.enablePush;
    this.#retry.textContent = s.retry;
    const connection = state?.connection ?? "closed";
    this.dataset.connection = connection;
    this.#note.hidden = connection === "open";
    this.#note.textContent = s.connection(connection);
    if (!state) return;
    this.#error.hidden = state.error === null;
    this.#errorText.textContent = s.loadFailed;
    this.#empty.hidden = !state.loaded || state.items.length > 0;
    this.#empty.textContent = s.empty;
    this.#more.hidden = state.nextCursor === null && !state.loading;
    this.#more.textContent = s.loadingMore;
    this.#renderItems(state.items, times);
  }

  #renderItems(items: readonly InboxItem[], times: boolean): void {
    const keep = new Set(items.map((i) => i.id));
    for (const [id, row] of this.#rows) {
      if (!keep.has(id)) {
        row.parentElement?.remove();
        this.#rows.delete(id);
      }
    }
    let previous: Element | null = null;
    for (const item of items) {
      const row = this.#row(item, times);
      const li = row.parentElement;
      if (!li) continue;
      const expected: Element | null = previous
        ? previous.nextElementSibling
        : this.#list.firstElementChild;
      if (expected !== li) this.#list.insertBefore(li, expected);
      previous = li;
    }
  }

  #row(item: InboxItem, times: boolean): HTMLButtonElement {
    let row = this.#rows.get(item.id);
    const key = JSON.stringify(item);
    if (row && row.dataset.key === key && !times) return row;
    if (!row) {
      row = el("button", { className: "item" });
      row.type = "button";
      row.dataset.id = item.id;
      row.addEventListener("click", () => {
        const id = row?.dataset.id;
        if (id) this.#act((s) => s.markRead(id));
      });
      const li = el("li");
      li.replaceChildren(row);
      this.#rows.set(item.id, row);
    }
    row.dataset.key = key;
    const unread = item.readAt === null;
    row.className = `item sev-${item.severity}${unread ? " unread" : ""}`;
    row.setAttribute(
      "part",
      `item${unread ? " item-unread" : ""} item-${item.severity}`,
    );
    const custom = this.renderItem?.(item) ?? null;
    if (custom !== null) {
      row.replaceChildren(custom);
    } else {
      const locale = this.getAttribute("locale") ?? undefined;
      const when = relativeTime(item.createdAt, Date.now(), locale);
      const time = el("time", {
        className: "m",
        text: `${this.#strings.severity(item.severity)} · ${when}`,
      });
      time.dateTime = item.createdAt;
      const title = el("span", { className: "t", part: "item-title" });
      title.replaceChildren(
        ...(unread
          ? [el("span", { className: "sr", text: this.#strings.unread }), " "]
          : []),
        item.title,
      );
      row.replaceChildren(
        title,
        ...(item.body
          ? [el("span", { className: "b", part: "item-body", text: item.body })]
          : []),
        time,
      );
    }
    return row;
  }
}
