/* 放行审批: two-step release requests from /api/releases, kept live by `release_request` events. */
"use strict";

const services = Page.services || {};
const can = (name) => services[name] && services[name].registered && services[name].allowed;

function requestItem(r) {
  const where = r.where || `${r.gate} / ${r.lane}`;
  const subtitle = t("js.acts_on", "{where} · {plate} · {time}", { where, plate: r.plate || "—", time: formatTime(r.requested_at) });
  const buttons = [];
  if (r.status === "pending") {
    if (can("ui.approve_release")) {
      buttons.push(el("button", { type: "button", class: "btn primary", "data-action": "approve",
        onclick: () => openServiceDialog({ service: "ui.approve_release", title: t("js.approve_release"), subtitle,
                                           values: { request_id: r.id }, hidden: ["request_id"], onDone: loadRequests }) },
        t("js.approve_release")));
    }
    if (can("ui.refuse_release")) {
      buttons.push(el("button", { type: "button", class: "btn danger", "data-action": "refuse",
        onclick: () => openServiceDialog({ service: "ui.refuse_release", title: t("js.refuse_release"), subtitle,
                                           values: { request_id: r.id }, hidden: ["request_id"], onDone: loadRequests }) },
        t("js.refuse_release")));
    }
  }
  const status = el("span", { class: `badge request-${r.status}` }, t(`js.request_${r.status}`, r.status));
  return el("li", { class: "approval", "data-request": r.id, "data-status": r.status },
    el("div", { class: "row" }, el("span", { class: "plate" }, r.plate || "—"), status),
    el("div", {}, where),
    el("div", {}, t("js.requested_by", "{who} · {time}", { who: r.requester, time: formatTime(r.requested_at) })),
    el("div", { class: "request-reason" }, r.reason),
    r.status === "pending"
      ? el("div", { class: "muted" }, t("js.answer_before", "{time}", { time: formatTime(r.due_at) }))
      : el("div", { class: "muted" }, [r.answered_by, r.answer].filter(Boolean).join(" · ")),
    el("div", { class: "actions" }, buttons));
}

async function loadRequests() {
  const reply = await api("GET", "/api/releases");
  if (!reply.ok) return;
  const items = reply.data.items || [];
  const pending = items.filter((r) => r.status === "pending");
  document.getElementById("approvals-empty").classList.toggle("hidden", pending.length > 0);
  document.getElementById("approvals-pending").replaceChildren(...pending.map(requestItem));
  const answered = items.filter((r) => r.status !== "pending");
  document.getElementById("approvals-answered-empty").classList.toggle("hidden", answered.length > 0);
  document.getElementById("approvals-answered").replaceChildren(...answered.map(requestItem));
}

Live.on((msg) => {
  if (msg.event_type === "release_request" || msg.type === "reconnect") loadRequests();
});
document.addEventListener("DOMContentLoaded", loadRequests);
