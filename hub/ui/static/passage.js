/* 通行详情: corrections, special release and cargo supplement for this passage. */
"use strict";

(function () {
  const services = Page.services || {};
  const item = Page.passage || {};
  const can = (name) => services[name] && services[name].registered && services[name].allowed;
  const box = document.getElementById("passage-actions");
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
