/* 车道监控: one card per lane, filled from /api/lanes and kept live by the WebSocket feed. */
"use strict";

const Lanes = { byKey: new Map(), entityIndex: new Map(), releases: new Map() };
const services = Page.services || {};
const can = (name) => services[name] && services[name].registered && services[name].allowed;

async function loadLanes() {
  const reply = await api("GET", "/api/lanes");
  if (!reply.ok) return;
  Lanes.byKey.clear();
  Lanes.entityIndex.clear();
  for (const lane of reply.data.lanes) {
    Lanes.byKey.set(lane.key, lane);
    for (const [what, entityId] of Object.entries(lane.entities)) Lanes.entityIndex.set(entityId, [lane.key, what]);
  }
  document.getElementById("lanes-empty").classList.toggle("hidden", reply.data.lanes.length > 0);
  const grid = document.getElementById("lanes");
  grid.replaceChildren(...reply.data.lanes.map(renderLane));
}

function stateText(state, unit) {
  if (!state) return t("js.not_configured_short", "—");
  if (state.state === "unavailable") return t("state.unavailable", "unavailable");
  return t(`state.${state.state}`, state.state) + (unit ? ` ${unit}` : "");
}

function renderLane(lane) {
  const card = document.getElementById("lane-template").content.firstElementChild.cloneNode(true);
  card.dataset.lane = lane.key;
  const field = (name) => card.querySelector(`[data-field="${name}"]`);
  card.querySelector(".lane-name").textContent = lane.name || `${lane.gate} · ${lane.lane}`;
  card.querySelector(".lane-key").textContent = `${lane.gate} / ${lane.lane}`;

  const camera = lane.states.camera_online;
  const reader = lane.states.rfid;  // a lane with no camera may know its vehicles by their tags
  const cam = field("camera");
  if (!camera && reader) {
    const online = reader.state !== "unavailable";
    cam.textContent = t(online ? "js.reader_on" : "js.reader_off", reader.state);
    cam.classList.add(online ? "ok" : "bad");
  } else {
    cam.textContent = camera ? t(`js.camera_${camera.state}`, camera.state) : t("js.camera_none", "—");
    cam.classList.add(camera && camera.state === "on" ? "ok" : "bad");
  }

  const read = lane.read;
  const plate = field("plate");
  // A tag's read has no plate: the register entry holding the tag names the vehicle, in the decision.
  const named = read && !read.plate && read.rfid && lane.decision && lane.decision.read_id === read.read_id
    ? lane.decision : null;
  if (read && (read.plate || read.rfid)) {
    plate.textContent = read.plate || (named && named.plate) || "—";
    const colour = read.plate ? read.colour : named && named.colour;
    plate.className = `plate colour-${colour || "unknown"}`;
    field("colour").textContent = read.plate ? t(`colour.${read.colour}`, read.colour || "")
      : t("js.by_tag", "{tag}", { tag: read.rfid });
    const pct = read.confidence === null || read.confidence === undefined ? "" : `${(read.confidence * 100).toFixed(1)} %`;
    const conf = field("confidence");
    conf.textContent = pct ? t("js.confidence", "{value}", { value: pct }) : "";
    conf.classList.toggle("low", !!read.needs_review);
    field("read-time").textContent = formatTime(read.read_at || read.captured_at);
    field("direction").textContent = t(`direction.${read.direction}`, read.direction || "—");
  } else {
    plate.textContent = t("js.no_read", "—");
    plate.className = "plate empty";
  }

  const decisionBox = field("decision");
  const decision = lane.decision;
  if (decision) {
    const kind = decision.needs_review && decision.decision !== "deny" ? "review" : decision.decision;
    decisionBox.classList.add(`decision-${kind}`);
    decisionBox.querySelector(".decision-label").textContent = t(`decision.${kind}`, kind);
    // The passage row (recorded just before its decision is announced) knows the vehicle's stage and fuel;
    // a corrected plate names another vehicle, so only the same plate's row counts.
    const row = lane.passage && lane.passage.passage_id === decision.passage_id && lane.passage.plate === decision.plate
      ? lane.passage : {};
    Reasons.show(decisionBox.querySelector(".decision-reason"),
      { emission_stage: row.emission_stage, fuel: row.fuel, ...decision }, decision.reason_code);
  } else if (read && read.needs_review) {
    decisionBox.classList.add("decision-review");
    decisionBox.querySelector(".decision-label").textContent = t("decision.review", "review");
    decisionBox.querySelector(".decision-reason").textContent = t("js.low_confidence", "");
  } else {
    decisionBox.classList.add("decision-none");
    decisionBox.querySelector(".decision-label").textContent =
      services["policy.release"] && services["policy.release"].registered ? t("js.waiting", "—") : t("js.no_policy", "—");
  }

  field("barrier").textContent = stateText(lane.states.barrier);
  const weight = lane.states.weight;
  field("weight").textContent = weight ? stateText(weight, "kg") : t("js.not_configured_short", "—");
  field("display").textContent = lane.states.display ? lane.states.display.state : t("js.not_configured_short", "—");

  const pending = Lanes.releases.get(decision && decision.passage_id);
  if (pending) decisionBox.append(pendingBadge(pending));
  card.querySelector(".actions").append(...laneActions(lane));
  return card;
}

/* Which vehicle a dialog acts on, fixed when it opens: the card may show the next truck meanwhile. */
function actsOn(where, plate, at) {
  return t("js.acts_on", "{where} · {plate} · {time}", { where, plate: plate || "—", time: formatTime(at) });
}

/* The actions on one passage (a lane's current vehicle, or an entry of the review queue). */
function passageActions(p, where, onDone) {
  const buttons = [];
  const subtitle = actsOn(where, p.plate, p.at);
  const add = (name, labelKey, cls, options) => {
    if (!can(name)) return;
    buttons.push(el("button", { type: "button", class: `btn ${cls}`, "data-action": name,
      onclick: () => openServiceDialog({ title: t(labelKey), subtitle, service: name, onDone, ...options }) }, t(labelKey)));
  };
  if (p.needsReview && (p.readId || p.passageId)) {
    add("policy.confirm_read", "js.confirm_read", "warn", {
      values: { read_id: p.readId, passage_id: p.passageId, plate: p.plate, colour: p.colour },
      hidden: ["read_id", "passage_id"] });
  }
  if (p.passageId) {
    add("policy.correct_plate", "js.correct_plate", "", {
      values: { passage_id: p.passageId, plate: p.plate, colour: p.colour }, hidden: ["passage_id"] });
    if (p.decision && p.decision !== "allow") {
      add("policy.release", "js.release", "danger", { values: { passage_id: p.passageId }, hidden: ["passage_id"] });
    }
  }
  return buttons;
}

function laneActions(lane) {
  const where = `${lane.name || lane.key}`;
  const read = lane.read || {};
  const decision = lane.decision || {};
  const passageId = decision.passage_id || (lane.passage || {}).passage_id;
  const buttons = [];
  const target = { gate: lane.gate, lane: lane.lane };
  // Opening by hand asks why and is recorded in the ledger (a release of the waiting truck, or a
  // manual entry); the plain barrier.open is the engineer's, from the developer tools.
  const opener = can("policy.open_barrier") ? "policy.open_barrier" : (can("barrier.open") ? "barrier.open" : null);
  if (opener) {
    buttons.push(el("button", { type: "button", class: "btn primary", "data-action": opener,
      onclick: () => openServiceDialog({ title: t("js.open_barrier"), subtitle: actsOn(where, read.plate, read.read_at || read.captured_at),
                                         service: opener, values: target, hidden: ["gate", "lane", "direction", "photo"],
                                         onDone: loadReview }) }, t("js.open_barrier")));
  }
  if (can("barrier.close")) {  // closing is always safe: one press, no questions
    buttons.push(el("button", { type: "button", class: "btn", "data-action": "barrier.close",
      onclick: async () => {
        const reply = await callService("barrier.close", target);
        toast(reply.ok ? t("js.closing", "Closing") : errorText(reply), reply.ok ? "ok" : "bad");
      } }, t("js.close_barrier")));
  }
  // A decision that settles the read (confirmed, corrected, allowed) leaves nothing to confirm.
  const doubtful = decision.decision ? (decision.decision === "review" || (decision.needs_review && decision.decision !== "allow"))
                                     : !!read.needs_review;
  buttons.push(...passageActions({
    passageId, readId: read.read_id, plate: read.plate, colour: read.colour, at: read.read_at || read.captured_at,
    decision: decision.decision, needsReview: doubtful && !!read.read_id }, where, loadReview));
  const acts = (Page.roles || []).some((r) => r === "guard" || r === "admin");
  const anyRegistered = Object.values(services).some((s) => s.registered);
  if (!buttons.length && acts && !anyRegistered) {
    buttons.push(el("span", { class: "muted small-text" }, t("js.no_lane_actions", "")));
  }
  return buttons;
}

/* Two-step release: requests waiting for an officer, by passage (state from the hub, so a reload keeps it). */
async function loadReleases() {
  const reply = await api("GET", "/api/releases");
  if (!reply.ok) return;
  Lanes.releases.clear();
  for (const r of reply.data.items || []) if (r.status === "pending") Lanes.releases.set(r.passage_id, r);
}
function pendingBadge(r) {
  return el("a", { class: "badge request-pending pending-release", href: "/approvals", "data-request": r.id },
    t("js.pending_release", "{who}", { who: r.requester }));
}

/* The review queue: doubtful reads and denied trucks that wait for a person, whatever came after. */
async function loadReview() {
  const reply = await api("GET", "/api/review");
  if (!reply.ok) return;
  const items = reply.data.items || [];
  document.getElementById("review-count").textContent = items.length ? String(items.length) : "";
  document.getElementById("review-empty").classList.toggle("hidden", items.length > 0);
  document.getElementById("review-list").replaceChildren(...items.map((item) => {
    const lane = Lanes.byKey.get(`${item.gate}_${item.lane}`);
    const where = lane ? (lane.name || lane.key) : `${item.gate} / ${item.lane}`;
    const label = item.kind === "review" ? t("decision.review") : t(`decision.${item.decision}`, item.decision);
    return el("li", { class: `review-item decision-${item.kind === "review" ? "review" : "deny"}`, "data-passage": item.passage_id },
      el("span", { class: `plate colour-${item.colour || "unknown"}` }, item.plate || "—"),
      el("span", { class: "review-where" }, where),
      el("span", { class: "muted" }, formatTime(item.at)),
      el("span", { class: "decision-label" }, label),
      reasonOf(item),
      Lanes.releases.has(item.passage_id) ? pendingBadge(Lanes.releases.get(item.passage_id)) : null,
      el("span", { class: "actions" }, passageActions({
        passageId: item.passage_id, readId: item.read_id, plate: item.plate, colour: item.colour, at: item.at,
        decision: item.decision, needsReview: item.kind === "review" }, where, loadReview)));
  }));
}
function reasonOf(item) {
  const node = el("span", { class: "decision-reason" });
  Reasons.show(node, item);
  return node;
}
let reviewTimer = null;
function reloadReviewSoon() { clearTimeout(reviewTimer); reviewTimer = setTimeout(loadReview, 250); }

function rerender(key) {
  const lane = Lanes.byKey.get(key);
  const old = document.querySelector(`[data-lane="${CSS.escape(key)}"]`);
  if (!lane || !old) { loadLanes(); return; }
  const fresh = renderLane(lane);
  old.replaceWith(fresh);
  return fresh;
}

Live.on((msg) => {
  if (msg.type === "reconnect") return;
  const data = msg.data || {};
  if (msg.event_type === "state_changed") {
    const hit = Lanes.entityIndex.get(data.entity_id);
    if (hit) {
      Lanes.byKey.get(hit[0]).states[hit[1]] = data.new_state;
      if (hit[1] !== "plate") rerender(hit[0]);
    } else if (data.entity_id && data.entity_id.startsWith("sensor.") && data.entity_id.endsWith("_plate") && data.new_state) {
      loadLanes();  // a lane we have not seen yet
    }
    return;
  }
  if (msg.event_type === "release_request") {
    loadReleases().then(() => { rerender(`${data.gate}_${data.lane}`); loadReview(); });
    return;
  }
  const key = `${data.gate}_${data.lane}`;
  const lane = Lanes.byKey.get(key);
  if (!lane) { loadLanes(); return; }
  if (msg.event_type === "plate_read") {
    if (!lane.decision || lane.decision.read_id !== data.read_id) lane.decision = null;
    lane.read = data;
    const card = rerender(key);
    if (card) { card.classList.add("flash"); setTimeout(() => card.classList.remove("flash"), 1200); }
  } else if (msg.event_type === "gate_decision") {
    lane.decision = data;
    rerender(key);
    reloadReviewSoon();
  } else if (msg.event_type === "passage_recorded" && (data.kind || "passage") === "passage") {
    lane.passage = data;
    rerender(key);
    reloadReviewSoon();  // the row may come after its decision: the queue words a refusal with its vehicle
  } else if (msg.event_type === "passage_recorded") {
    reloadReviewSoon();  // a release or a correction settles a queued passage
  }
});

document.addEventListener("DOMContentLoaded", () => {
  loadReleases().then(loadLanes).then(loadReview);
  Live.on((msg) => { if (msg.type === "reconnect") setTimeout(() => loadReleases().then(loadLanes).then(loadReview), 1500); });
});
