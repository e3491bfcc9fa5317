/* 通行详情: corrections, special release and cargo supplement for this passage. */
"use strict";

(function () {
  const services = Page.services || {};
  const item = Page.passage || {};
  const can = (name) => services[name] && services[name].registered && services[name].allowed;
  const box = document.getElementById("passage-actions");
  Reasons.show(document.getElementById("passage-reason"), item, item.reason_code || "—");
  const where = `${item.plate || ""} · ${item.recorded_at || ""}`;
  const reload = () => setTimeout(() => location.reload(), 300);
  const add = (name, labelKey, cls, values, hidden) => {
    if (!can(name)) return;
    box.append(el("button", { type: "button", class: `btn ${cls}`, "data-action": name, onclick: () =>
      openServiceDialog({ service: name, title: t(labelKey), subtitle: where, values, hidden, onDone: reload }) },
      t(labelKey)));
  };
  add("policy.correct_plate", "js.correct_plate", "", { passage_id: item.passage_id, plate: item.plate, colour: item.colour }, ["passage_id"]);
  if (item.decision !== "allow" && !item.released) {
    add("policy.release", "js.release", "danger", { passage_id: item.passage_id }, ["passage_id"]);
  }
  add("ledger.record_followup", "js.add_cargo", "", { passage_id: item.passage_id, kind: "cargo" }, ["passage_id", "kind"]);
})();

/* The photo viewer: each photo's SHA-256 checked, previous/next passage of the same vehicle (zoom: zoom.js). */
(function () {
  const item = Page.passage || {};

  async function digest(bytes) {
    const hash = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  /* The hub serves a photo only while it keeps its hash; where the browser can hash (a secure context),
     it checks the bytes itself against the hash in the ledger row. */
  for (const mark of document.querySelectorAll("#photo-viewer .check")) {
    const sha = mark.dataset.sha;
    fetch(`/api/evidence/${sha}`, { credentials: "same-origin" })
      .then(async (response) => {
        if (!response.ok) throw new Error(String(response.status));
        const bytes = await response.arrayBuffer();
        if (window.crypto && crypto.subtle) {
          const found = await digest(bytes);
          if (found !== sha) throw new Error("hash");
          return t("js.photo_verified_here", "Verified: SHA-256 matches the ledger");
        }
        return t("js.photo_verified_hub", "Verified by the hub");
      })
      .then((text) => { mark.className = "check verified"; mark.textContent = `✓ ${text}`; })
      .catch(() => { mark.className = "check failed"; mark.textContent = `✗ ${t("js.photo_not_verified", "Not verified: missing or altered")}`; });
  }

  /* Previous and next passage of the same plate (corrected plates count), by the time recorded. */
  async function neighbour(linkId, query) {
    const link = document.getElementById(linkId);
    if (!link || !item.plate) return;
    const answer = await api("POST", "/api/services/ledger/query", { plate: item.plate, page_size: 5, ...query });
    if (!answer.ok || !answer.data) return;
    const items = (answer.data.items || answer.data.result?.items || []).filter((p) => p.passage_id !== item.passage_id);
    const other = items[0];
    if (!other) return;
    const params = new URLSearchParams({ at: other.recorded_at, gate: other.gate, lane: other.lane });
    link.href = `/passages/${encodeURIComponent(other.passage_id)}?${params}`;
    link.title = `${other.recorded_at.replace("T", " ").slice(0, 19)} · ${t(`direction.${other.direction}`, other.direction)}`;
    link.classList.remove("hidden");
  }
  if (item.recorded_at) {
    neighbour("previous-passage", { end: item.recorded_at, sort: "-recorded_at" });
    neighbour("next-passage", { start: item.recorded_at, sort: "recorded_at" });
  }
})();
