/**
 * The console's Live page: connect as a user with a token over SSE or WebSocket,
 * watch the connection state, the unread badge and notifications arriving,
 * mark them read, send a test notification (with the admin key), and turn
 * Web Push on for this device. It uses the same browser client apps embed
 * (`/console/herald-client.js`) and Herald's service worker, and shows the
 * drop-in `<herald-inbox>` bell (`/client/herald-inbox.js`).
 */
export const LIVE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald console · Live</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.4rem; display: flex; gap: .6rem; align-items: center; }
  fieldset { border: 1px solid #d5d9e2; border-radius: 8px; margin: 0 0 1rem; padding: .8rem 1rem; }
  legend { font-weight: 600; }
  label { display: block; margin: .3rem 0; }
  input, textarea, select { font: inherit; width: 100%; box-sizing: border-box; padding: .35rem; }
  textarea { height: 4.2rem; }
  button { font: inherit; padding: .35rem .9rem; margin: .4rem .4rem 0 0; cursor: pointer; }
  #state { font-size: .8rem; padding: .15rem .5rem; border-radius: 99px; background: #eef0f4; }
  #state[data-state="open"] { background: #d8f5df; }
  #state[data-state="reconnecting"] { background: #fdebc8; }
  #unread { background: #d33; color: #fff; border-radius: 99px; padding: 0 .5rem; font-size: .85rem; }
  #notifications { list-style: none; padding: 0; }
  #notifications li { border: 1px solid #d5d9e2; border-radius: 8px; padding: .6rem .8rem; margin: .5rem 0; }
  #notifications li.read { opacity: .55; }
  .meta { color: #667; font-size: .8rem; }
  .sev-critical { border-left: 4px solid #c00 !important; }
  .sev-high { border-left: 4px solid #e80 !important; }
  #log { color: #a00; min-height: 1.2rem; }
</style>
</head>
<body>
<p><a href="/console">← Console</a></p>
<h1>Live <span id="state" data-state="closed">closed</span>
  <span class="meta">unread</span> <span id="unread">0</span>
  <span id="bell"></span></h1>
<fieldset>
  <legend>Connect as a user</legend>
  <label>User token (JWT signed with JWT_SECRET, <code>sub</code> = user id)
    <textarea id="token" spellcheck="false" autocomplete="off"></textarea></label>
  <label>Transport <select id="transport">
    <option value="sse" selected>Server-Sent Events</option><option value="websocket">WebSocket</option>
  </select></label>
  <button id="connect">Connect</button>
  <button id="drop" disabled>Drop connection</button>
  <button id="disconnect" disabled>Disconnect</button>
  <div class="meta">User: <span id="user">–</span></div>
</fieldset>
<fieldset>
  <legend>Send a test notification to this user</legend>
  <label>Admin API key <input id="apiKey" type="password" autocomplete="off"></label>
  <label>Type (the catalogue's, once the key is in) <select id="type">
    <option value="console.test" selected>console.test (ad hoc)</option>
  </select></label>
  <label>Title <input id="title" value="Hello from the console"></label>
  <label>Severity <select id="severity">
    <option>low</option><option selected>medium</option><option>high</option><option>critical</option>
  </select></label>
  <button id="send" disabled>Send</button>
</fieldset>
<fieldset>
  <legend>Push on this device</legend>
  <label>Device label <input id="pushLabel" value="Console"></label>
  <button id="enablePush" disabled>Enable push on this device</button>
  <button id="disablePush" disabled>Disable push</button>
  <div class="meta">Push: <span id="pushState">–</span></div>
</fieldset>
<div id="log" role="status"></div>
<ul id="notifications"></ul>
<script type="module" src="/client/herald-inbox.js"></script>
<script type="module">
import { HeraldClient } from "/console/herald-client.js";

const $ = (id) => document.getElementById(id);
const base = location.origin;
let client = null;
let userId = null;
let jwt = null;
const shown = new Map();

function say(text) { $("log").textContent = text; }

function subOf(token) {
  const part = token.split(".")[1] || "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(json).sub;
}

async function api(path, init = {}, token = jwt) {
  const headers = new Headers(init.headers);
  headers.set("authorization", "Bearer " + token);
  if (init.body) headers.set("content-type", "application/json");
  const res = await fetch(base + path, { ...init, headers });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message || res.status);
  return body;
}

function render(n) {
  let li = shown.get(n.id);
  if (!li) {
    li = document.createElement("li");
    li.dataset.id = n.id;
    shown.set(n.id, li);
    $("notifications").prepend(li);
  }
  li.className = "sev-" + n.severity + (n.readAt ? " read" : "");
  li.replaceChildren();
  const title = document.createElement("strong");
  title.className = "title";
  title.textContent = n.title;
  const body = document.createElement("div");
  body.textContent = n.body;
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = n.type + " · " + n.severity + " · " + new Date(n.createdAt).toLocaleString();
  li.append(title, body, meta);
  if (!n.readAt) {
    const button = document.createElement("button");
    button.textContent = "Mark read";
    button.className = "mark-read";
    button.onclick = async () => {
      const r = await api("/v1/users/" + encodeURIComponent(userId) + "/notifications/" + n.id + "/read", { method: "POST" });
      render({ ...n, readAt: new Date().toISOString() });
      $("unread").textContent = r.unread;
    };
    li.append(button);
  }
}

async function loadInbox() {
  const page = await api("/v1/users/" + encodeURIComponent(userId) + "/notifications?limit=50");
  for (const n of page.items.slice().reverse()) render(n);
  const { unread } = await api("/v1/users/" + encodeURIComponent(userId) + "/notifications/count");
  $("unread").textContent = unread;
}

$("connect").onclick = async () => {
  try {
    jwt = $("token").value.trim();
    userId = subOf(jwt);
    $("user").textContent = userId;
    client?.close();
    shown.clear();
    $("notifications").replaceChildren();
    await loadInbox();
    client = new HeraldClient({
      baseUrl: base,
      transport: $("transport").value,
      getStreamToken: async () => (await api("/v1/stream/token", { method: "POST" })).token,
      onNotification: (n) => render(n),
      onCount: (unread) => { $("unread").textContent = unread; },
      onState: (state) => { $("state").textContent = state; $("state").dataset.state = state; },
      onReset: () => void loadInbox(),
      push: { userId, getAuthToken: async () => jwt },
    });
    for (const id of ["drop", "disconnect", "send"]) $(id).disabled = false;
    // The drop-in bell apps embed, on its own connection, beside the
    // console's hand-built view of the same stream.
    const bell = document.createElement("herald-inbox");
    bell.setAttribute("url", base);
    bell.setAttribute("token", jwt);
    $("bell").replaceChildren(bell);
    await showPushState();
    say("");
  } catch (error) {
    say("Could not connect: " + error.message);
  }
};

async function showPushState() {
  const state = client ? await client.pushState() : "–";
  $("pushState").textContent = state;
  $("enablePush").disabled = !client || state === "unsupported" || state === "denied";
  $("disablePush").disabled = state !== "on";
}

$("enablePush").onclick = async () => {
  try {
    await client.enablePush({ label: $("pushLabel").value.trim() || undefined });
    say("");
  } catch (error) {
    say("Could not enable push: " + error.message);
  }
  await showPushState();
};
$("disablePush").onclick = async () => {
  try {
    await client.disablePush();
    say("");
  } catch (error) {
    say("Could not disable push: " + error.message);
  }
  await showPushState();
};

$("drop").onclick = () => client?.reconnect();
$("disconnect").onclick = () => {
  client?.close();
  client = null;
  $("bell").replaceChildren();
  for (const id of ["drop", "disconnect", "send"]) $(id).disabled = true;
  void showPushState();
};

// The catalogue's types, for the send form: each fills in its label and
// severity when picked. Loaded with the admin key, whenever it changes.
const types = new Map();
$("apiKey").onchange = async () => {
  try {
    const { types: list } = await api("/v1/types", {}, $("apiKey").value);
    types.clear();
    const adHoc = $("type").options[0];
    $("type").replaceChildren(adHoc);
    for (const t of list) {
      types.set(t.id, t);
      $("type").append(new Option(t.id + " — " + t.label, t.id));
    }
    $("type").dataset.loaded = String(list.length);
    say("");
  } catch (error) {
    say("Could not load the catalogue: " + error.message);
  }
};
$("type").onchange = () => {
  const t = types.get($("type").value);
  if (!t) return;
  $("title").value = t.label;
  $("severity").value = t.severity;
};

$("send").onclick = async () => {
  try {
    await api("/v1/notifications", {
      method: "POST",
      body: JSON.stringify({ userId, type: $("type").value, title: $("title").value, body: "Sent from the console", severity: $("severity").value }),
    }, $("apiKey").value);
    say("");
  } catch (error) {
    say("Could not send: " + error.message);
  }
};
</script>
</body>
</html>
`;
