/* Decision reasons in the page's language, for every page that shows one (lanes, review queue, passages).

The policy words a reason in Chinese from its rule book; the ledger keeps that text and the platforms
receive it, so a Chinese page shows it as recorded. An English page makes its sentence from what the
decision carries (reason code, the vehicle's class, stage and fuel, the direction) and keeps the recorded
text as the element's title. A person's own words in a reason (a blacklist entry, a review mark, a special
release, a manual opening) are kept as written. A code not known here (a plant's own rule) shows the
recorded text. Done here, in the browser, because the live feed sends one event to every client whatever
its language. */
"use strict";

const Reasons = (() => {
  // Codes that need no field: one sentence each.
  const PLAIN = ["exempt", "not_usable_today", "low_confidence", "lookup_failed", "exit_recorded",
                 "ledger_failed", "read_expired", "rfid_mismatch"];
  // Codes whose recorded text ends with a person's words after the first colon (common.yaml `texts`).
  const PERSON = ["blacklisted", "review_marked", "released"];

  const recordedLanguage = () => (Page.lang || "zh-CN").startsWith("zh");
  /* A message of this page, or null when the page has none (then the recorded text is shown). */
  function say(key, values) {
    return (Page.messages || {})[key] === undefined ? null : t(key, "", values);
  }
  function personWords(recorded) {
    const m = /^[^：:]*[：:]\s*([\s\S]+)$/.exec(recorded || "");
    return m ? m[1].trim() : "";
  }
  /* "China V diesel in-plant vehicle", as far as the fields are at hand (the kind alone else). */
  function vehicleWords(item) {
    const kind = say(`js.reason.kind.${item.vehicle_class}`) || say("js.reason.kind.unknown") || "";
    const stage = item.emission_stage, fuel = item.fuel;
    if (stage === "D" || fuel === "C") return say("js.reason.new_energy", { kind }) || kind;
    const words = say("js.reason.vehicle", {
      stage: !stage ? "" : (stage === "X" ? say("js.reason.stage.X") : say(`stage.${stage}`)) || "",
      fuel: (fuel && say(`js.reason.fuel.${fuel}`)) || "",
      kind,
    });
    return (words || kind).replace(/\s+/g, " ").trim();
  }

  /* The English sentence of a reason, or null where there is none (then the recorded text stands). */
  function sentence(item) {
    const code = item.reason_code;
    const recorded = item.reason_text || "";
    const fields = { vehicle: vehicleWords(item), go: say(`js.reason.go.${item.direction === "out" ? "out" : "in"}`) || "" };
    let text = null;
    if (code === "allowed" || code === "control_measure") text = say(`js.reason.${code}`, fields);
    else if (code === "forbidden") {
      text = say(item.vehicle_class === "machinery" ? "js.reason.forbidden_machinery" : "js.reason.forbidden", fields);
    } else if (code === "temporary_pass") {
      const until = /\d{2}-\d{2} \d{2}:\d{2}/.exec(recorded);  // the pass's end, as the policy wrote it
      text = until ? say("js.reason.temporary_pass", { ...fields, until: until[0] }) : say("js.reason.temporary_pass_plain", fields);
    } else if (code === "unregistered") {
      const how = { allow: "_allowed", review: "_review" }[item.decision] || "";
      text = say(`js.reason.unregistered${how}`);
    } else if (PERSON.includes(code)) {
      const words = personWords(recorded);
      text = words ? say(`js.reason.${code}_text`, { reason: words }) : say(`js.reason.${code}`);
    } else if (code === "manual_entry") {
      text = recorded ? say("js.reason.manual_entry_text", { reason: recorded }) : null;
    } else if (PLAIN.includes(code)) text = say(`js.reason.${code}`, fields);
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : null;
  }

  /* Show an item's reason in `node`; `empty` where it has no recorded text. */
  function show(node, item, empty) {
    const recorded = item.reason_text || "";
    const made = recordedLanguage() ? null : sentence(item);
    node.textContent = made || recorded || empty || "";
    if (made && recorded) node.title = t("js.reason.recorded", "{text}", { text: recorded });
    else node.removeAttribute("title");
  }

  /* Server-rendered cells: data-reason holds the item's fields, the cell's text is the recorded reason. */
  function showMarked(root) {
    for (const node of (root || document).querySelectorAll("[data-reason]")) {
      let fields = {};
      try { fields = JSON.parse(node.dataset.reason); } catch (err) { continue; }
      show(node, { ...fields, reason_text: node.textContent.trim() });
    }
  }

  return { show, sentence, showMarked };
})();

document.addEventListener("DOMContentLoaded", () => Reasons.showMarked(document));
