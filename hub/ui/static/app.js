/* EcoGate HMI: shared helpers — messages, API calls, the live feed (WebSocket) and the header badges. */
"use strict";

const Page = JSON.parse(document.getElementById("page-data").textContent || "{}");

function t(key, fallback, values) {
  let text = (Page.messages || {})[key];
  if (text === undefined) text = fallback === undefined ? key : fallback;
  if (values) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? values[name] : m));
  return text;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/* A kiosk screen signs every request with its token (?kiosk=...): it has no session. */
function withKiosk(path) {
  if (!Page.kiosk) return path;
  return `${path}${path.includes("?") ? "&" : "?"}kiosk=${encodeURIComponent(Page.kiosk)}`;
}

async function api(method, path, body) {
  path = withKiosk(path);
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    return { ok: false, status: 0, data: { message: t("js.network_error", "Network error") } };
  }
  if (response.status === 401 && !Page.kiosk) {
    window.location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
  }
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  // Plant time, as the tables and the ledger show it, whatever zone the browser's machine is set to.
  return d.toLocaleTimeString("en-GB", { timeZone: Page.time_zone || undefined, hour12: false });
}

/* The live feed: reconnects with back-off; handlers get every event message. */
const Live = {
  handlers: [],
  socket: null,
  delay: 1000,
  on(handler) { this.handlers.push(handler); },
  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${withKiosk("/api/websocket")}`);
    this.socket = socket;
    socket.addEventListener("open", () => { this.delay = 1000; this.indicate(true); });
    socket.addEventListener("message", (msg) => {
      let data;
      try { data = JSON.parse(msg.data); } catch (err) { return; }
      if (data.type !== "event") return;
      for (const handler of this.handlers) {
        try { handler(data); } catch (err) { console.error(err); }
      }
    });
    socket.addEventListener("close", () => {
      this.indicate(false);
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 15000);
      for (const handler of this.handlers) {
        try { handler({ type: "reconnect" }); } catch (err) { console.error(err); }
      }
    });
  },
  indicate(on) {
    const node = document.getElementById("live-indicator");
    if (!node) return;
    node.classList.toggle("off", !on);
    node.classList.toggle("on", on);
    node.textContent = on ? t("js.live_on", "Live") : t("js.live_off", "Offline");
  },
};

function updateAlertBadge(state) {
  const badge = document.getElementById("alert-badge");
  if (!badge || !state) return;
  badge.className = `badge alert-${state.state}`;
  badge.textContent = t(`alert.level.${state.state}`, state.state);
}

if (Page.user) {
  Live.on((msg) => {
    if (msg.event_type === "state_changed" && msg.data.entity_id === "select.plant_alert_level") {
      updateAlertBadge(msg.data.new_state);
    }
  });
  document.addEventListener("DOMContentLoaded", () => Live.connect());
}
