/* 大屏 and its widgets: /api/screen, kept live by the WebSocket feed (plant_figures, decisions, states). */
"use strict";

const Screen = { charts: {}, timer: null };
const COLOURS = ["#19a37d", "#3b82f6", "#f0a020", "#e5484d", "#a855f7", "#14b8a6", "#eab308", "#64748b", "#ec4899", "#84cc16"];

function text(id, value) {
  const node = document.getElementById(id);
  if (node) node.textContent = value === null || value === undefined ? "—" : String(value);
}
const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const num = (x) => (x === null || x === undefined ? "—" : Number(x).toLocaleString("en-US", { maximumFractionDigits: 1 }));

/* "5/diesel" -> 国五 柴油; a fuel letter -> its name. */
function stageLabel(key) {
  const [stage, family] = key.split("/");
  if (stage === "?") return t("screen.unknown", "?");
  return `${t(`stage.${stage}`, stage)} ${t(`screen.family.${family}`, family || "")}`.trim();
}

function mixChart(id, mix, label) {
  const canvas = document.getElementById(id);
  if (!canvas || typeof Chart === "undefined") return;
  const labels = Object.keys(mix || {}).map(label);
  const data = Object.values(mix || {});
  const chart = Screen.charts[id];
  if (chart) {
    chart.data.labels = labels;
    chart.data.datasets[0].data = data;
    chart.update("none");
    return;
  }
  const ink = getComputedStyle(document.body).getPropertyValue("--text").trim() || "#e7edf3";
  Screen.charts[id] = new Chart(canvas, {
    type: "doughnut",
    data: { labels, datasets: [{ data, backgroundColor: COLOURS, borderWidth: 0 }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
               plugins: { legend: { position: "right", labels: { color: ink, font: { size: 16 } } } } },
  });
}

function figures(prefix, f) {
  f = f || {};
  text(`${prefix}-in`, num(f.in));
  text(`${prefix}-out`, num(f.out));
  text(`${prefix}-denied`, num(f.denied));
  text(`${prefix}-released`, num(f.released));
  text(`${prefix}-compliance`, pct(f.compliance));
  text(`${prefix}-tonnes-in`, num(f.tonnes_in));
  text(`${prefix}-tonnes-out`, num(f.tonnes_out));
}

function render(data) {
  figures("today", data.today);
  figures("month", data.month);
  const clean = data.clean_transport || {};
  text("clean-ratio", pct(clean.ratio));
  text("clean-target", clean.target ? t("screen.target", "{value}", { value: pct(clean.target) }) : "");
  const month = data.month || {};
  mixChart("stage-chart", month.stage_mix, stageLabel);
  mixChart("fuel-chart", month.fuel_mix, (code) => (code === "?" ? t("screen.unknown", "?") : t(`fuel.${code}`, code)));

  const alert = data.alert || {};
  const banner = document.getElementById("alert-banner");
  if (banner) {
    banner.dataset.level = alert.level || "none";
    banner.querySelector(".level").textContent = alert.level ? t(`alert.level.${alert.level}`, alert.level) : t("alert.not_configured_short");
    banner.querySelector(".measure").textContent = alert.measure || "";
  }
  const list = (id, items, line) => {
    const node = document.getElementById(id);
    if (node) node.replaceChildren(...(items.length ? items.map(line) : [el("li", { class: "muted" }, t("screen.none", "—"))]));
  };
  list("uploads", data.uploads || [], (u) => el("li", { class: (u.upload_rate ?? 100) < 95 ? "bad" : "ok", "data-platform": u.platform },
    `${u.name || u.platform}: ${t("screen.rate", "{value}", { value: u.upload_rate === null || u.upload_rate === undefined ? "—" : `${num(u.upload_rate)}%` })}`
    + ` · ${t("screen.pending", "{value}", { value: num(u.pending) })}`));
  list("devices", (data.devices || []).filter((d) => !d.ok), (d) => el("li", { class: "bad" }, d.name || d.entity_id));
  list("quality", data.quality || [], (q) => el("li", { class: "bad" }, `${q.name || q.entity_id}: ${num(q.open)}`));

  const lanes = document.getElementById("screen-lanes");
  if (lanes) {
    const shown = (data.lanes || []).filter((lane) => !Page.lane || lane.key === Page.lane);
    lanes.replaceChildren(...shown.map((lane) => {
      const read = lane.read || {};
      const decision = lane.decision || {};
      const passage = lane.passage || {};
      const photo = Page.kiosk ? null : (passage.photo_plate || passage.photo_scene);  // photos need a person
      const kind = decision.decision || (read.needs_review ? "review" : null);
      // A tag's read has no plate: the decision names the vehicle the tag belongs to.
      const named = !read.plate && read.rfid && decision.read_id === read.read_id;
      const plate = read.plate || (named ? decision.plate : "");
      const colour = (named ? decision.colour : read.colour) || "unknown";
      return el("article", { class: "screen-lane", "data-lane": lane.key },
        el("span", { class: "name" }, lane.name || lane.key),
        photo ? el("img", { src: `/api/evidence/${photo}`, alt: plate }) : null,
        el("span", { class: `plate colour-${colour}` }, plate || t("js.no_read", "—")),
        el("span", { class: `decision-label decision-${kind || "none"}` }, kind ? t(`decision.${kind}`, kind) : ""),
        el("span", { class: "muted" }, formatTime(read.read_at || read.captured_at)));
    }));
  }
}

async function load() {
  const reply = await api("GET", "/api/screen");
  if (reply.ok) render(reply.data);
}
function loadSoon() { clearTimeout(Screen.timer); Screen.timer = setTimeout(load, 200); }

function tick() {
  const now = new Date();
  text("clock", now.toLocaleString(Page.lang === "en" ? "en-GB" : "zh-CN", { timeZone: Page.time_zone || undefined, hour12: false }));
}

document.addEventListener("DOMContentLoaded", () => {
  load();
  tick();
  setInterval(tick, 1000);
  Live.on((msg) => {
    if (msg.type === "reconnect") { loadSoon(); return; }
    const type = msg.event_type;
    if (type === "plant_figures" || type === "gate_decision" || type === "passage_recorded" || type === "plate_read") loadSoon();
    else if (type === "state_changed") {
      const id = (msg.data || {}).entity_id || "";
      if (id.startsWith("binary_sensor.") || id.startsWith("select.") || id.startsWith("sensor.uplink_") || id.startsWith("sensor.quality")) loadSoon();
    }
  });
});
