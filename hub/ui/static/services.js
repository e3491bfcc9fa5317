/* Pages made of service forms (车辆台账, 预警, 上传状态): one panel per service the user may call. */
"use strict";

(function () {
  const services = Page.services || {};
  for (const container of document.querySelectorAll(".service-forms")) {
    const names = (container.dataset.services || "").split(" ").filter(Boolean);
    const hidden = (container.dataset.hidden || "").split(" ").filter(Boolean);  // the hub's to fill
    // A card that names its form itself (预警: 切换预警等级) gets the fields, not a second heading.
    const headed = container.dataset.headed !== undefined;
    let shown = 0;
    for (const name of names) {
      const info = services[name] || {};
      if (!info.registered) {
        container.append(el("p", { class: "notice not-configured" }, t("js.service_missing", "{service}", { service: name })));
        continue;
      }
      if (!info.allowed) continue;
      shown += 1;
      const fields = el("div", { class: "form-grid" });
      const result = el("div", { class: "result" });
      const error = el("p", { class: "error hidden", role: "alert" });
      const form = buildForm(fields, info.schema, { hidden });
      const title = serviceTitle(name, info);
      const help = serviceHelp(name, info);
      const submit = el("button", { type: "submit", class: "btn primary" }, title);
      const node = el("form", { class: headed ? "service-form" : "panel service-form", "data-service": name, novalidate: true },
        headed ? null : el("h2", {}, title),
        help ? el("p", { class: "muted service-help" }, help) : null,
        fields, error, el("div", { class: "row end" }, submit), result);
      node.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const { data, problems } = form.read();
        if (problems.length) { form.showErrors(problems); return; }
        submit.disabled = true;
        const reply = await callService(name, data);
        submit.disabled = false;
        error.classList.toggle("hidden", reply.ok);
        const rest = form.showErrors(reply.ok ? [] : (reply.data && reply.data.fields) || []);
        if (reply.ok) renderResult(result, reply.data.result);
        else error.textContent = [errorText(reply), ...rest].join(" ");
      });
      container.append(node);
    }
    if (!shown && names.some((n) => (services[n] || {}).registered)) {
      container.append(el("p", { class: "notice", id: "no-actions" }, t("js.no_actions", "")));
    }
  }

  // 上传状态: keep the uplink's figures live.
  if (Page.prefix) {
    Live.on((msg) => {
      if (msg.event_type !== "state_changed" || !msg.data.entity_id.startsWith(Page.prefix)) return;
      const row = document.querySelector(`tr[data-entity="${CSS.escape(msg.data.entity_id)}"]`);
      const state = msg.data.new_state;
      if (!row) { location.reload(); return; }
      if (!state) { row.remove(); return; }
      const unit = (state.attributes || {}).unit_of_measurement || "";
      row.querySelector('[data-field="state"]').textContent = `${state.state} ${unit}`;
      row.querySelector('[data-field="updated"]').textContent = (state.last_updated || "").replace("T", " ");
    });
  }
})();
