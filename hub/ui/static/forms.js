/* Forms built from a service's schema (pydantic JSON schema), so a page offers whatever fields the
   component behind it declares; field errors from the API are shown next to their fields. */
"use strict";

function resolveSchema(prop, root) {
  if (!prop) return {};
  if (prop.$ref) {
    const name = prop.$ref.split("/").pop();
    return { ...((root.$defs || {})[name] || {}), title: prop.title || ((root.$defs || {})[name] || {}).title };
  }
  if (prop.anyOf) {
    const real = prop.anyOf.find((p) => p.type !== "null") || {};
    return { ...resolveSchema(real, root), title: prop.title, default: prop.default, nullable: true,
             description: prop.description };
  }
  if (prop.allOf && prop.allOf.length === 1) return { ...resolveSchema(prop.allOf[0], root), title: prop.title };
  return prop;
}

function fieldLabel(name, prop) {
  return t(`field.${name}`, prop.title || name);
}

/* A registration describes its service in both languages at once ("切换预警等级 switch the alert
   level"): the Chinese words first, then the English. A page shows the part in its own language. */
const HAN_CHARACTER = /[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;
function descriptionPart(text) {
  const words = String(text || "").trim().split(/\s+/).filter(Boolean);
  let last = -1;
  words.forEach((word, i) => { if (HAN_CHARACTER.test(word)) last = i; });
  if (Page.lang !== "en") return words.slice(0, last + 1).join(" ");
  const english = words.slice(last + 1).join(" ");
  return english.charAt(0).toUpperCase() + english.slice(1);
}

/* A service's heading and its help line in the page's language: the translations' words where they
   have them, else the registration's description in that language. */
function serviceTitle(name, info) {
  return t(`service.${name}`, descriptionPart((info || {}).description) || name);
}
function serviceHelp(name, info) {
  const help = t(`service.${name}.help`, descriptionPart((info || {}).description));
  return help === serviceTitle(name, info) ? "" : help;
}

/* A code's label by what the field holds: a plate colour "yellow" is 黄牌, an alert level "yellow" 黄色预警. */
const CHOICE_LISTS = { colour: "colour", level: "alert.level", direction: "direction" };
function choiceLabel(name, choice) {
  const list = CHOICE_LISTS[name];
  return list ? t(`${list}.${choice}`, String(choice)) : String(choice);
}

/* Builds inputs into `container`; returns {read(): data, showErrors(fields)}. */
function buildForm(container, schema, options) {
  const opts = options || {};
  const values = opts.values || {};
  const hidden = new Set(opts.hidden || []);
  const required = new Set((schema && schema.required) || []);
  const inputs = {};
  container.replaceChildren();
  const props = (schema && schema.properties) || {};
  for (const [name, raw] of Object.entries(props)) {
    const prop = resolveSchema(raw, schema);
    const value = name in values ? values[name] : prop.default;
    let input;
    if (hidden.has(name)) {
      inputs[name] = { prop, hidden: true, value };
      continue;
    }
    const choices = prop.enum || (prop.const !== undefined ? [prop.const] : null);
    if (choices) {
      input = el("select", { name });
      if (!required.has(name)) input.append(el("option", { value: "" }, "—"));
      for (const choice of choices) {
        const label = t(`choice.${name}.${choice}`, choiceLabel(name, choice));
        input.append(el("option", { value: choice, selected: value === choice }, label));
      }
    } else if (prop.type === "boolean") {
      input = el("input", { type: "checkbox", name, checked: value === true });
    } else if (prop.type === "integer" || prop.type === "number") {
      input = el("input", { type: "number", name, step: prop.type === "integer" ? "1" : "any",
                            min: prop.minimum ?? prop.exclusiveMinimum, max: prop.maximum,
                            value: value ?? "" });
    } else if (prop.type === "object" || prop.type === "array") {
      input = el("textarea", { name, rows: 3, placeholder: prop.type === "array" ? "[ ]" : "{ }" });
      if (value !== undefined && value !== null) input.value = JSON.stringify(value);
    } else if (prop.format === "date-time") {
      input = el("input", { type: "datetime-local", name });
    } else if (prop.format === "date") {
      input = el("input", { type: "date", name, value: value ?? "" });
    } else {
      const long = (prop.maxLength || 0) > 100;
      input = el(long ? "textarea" : "input", { name, maxlength: prop.maxLength, rows: long ? 2 : null });
      if (value !== undefined && value !== null) input.value = value;
    }
    input.required = required.has(name);
    const error = el("span", { class: "field-error", "data-error-for": name });
    const label = el("label", { class: prop.type === "boolean" ? "check" : null },
      el("span", { class: "label-text" }, fieldLabel(name, prop), required.has(name) ? el("b", { class: "req" }, " *") : null),
      input, error);
    container.append(label);
    inputs[name] = { prop, input };
  }
  if (!Object.keys(props).length && !(opts.quiet)) container.append(el("p", { class: "muted" }, t("js.no_fields", "")));

  function read() {
    const data = {};
    const problems = [];
    for (const [name, field] of Object.entries(inputs)) {
      if (field.hidden) {
        if (field.value !== undefined && field.value !== null) data[name] = field.value;
        continue;
      }
      const { prop, input } = field;
      if (prop.type === "boolean") { data[name] = input.checked; continue; }
      const text = input.value.trim();
      if (text === "") continue;
      if (prop.type === "integer" || prop.type === "number") data[name] = Number(text);
      else if (prop.type === "object" || prop.type === "array") {
        try { data[name] = JSON.parse(text); } catch (err) { problems.push({ field: name, message: t("js.bad_json", "JSON") }); }
      } else if (prop.format === "date-time") data[name] = new Date(text).toISOString();
      else data[name] = text;
    }
    return { data, problems };
  }

  function showErrors(fields) {
    for (const node of container.querySelectorAll("[data-error-for]")) node.textContent = "";
    const rest = [];
    for (const f of fields || []) {
      const name = String(f.field || "").split(".")[0];
      const node = container.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
      if (node) node.textContent = f.message; else rest.push(`${fieldLabel(name, {})}: ${f.message}`);
    }
    return rest;
  }
  return { read, showErrors };
}

function errorText(reply) {
  if (reply.status === 403) return t("js.forbidden", "Your role may not do this.");
  if (reply.status === 404) return t("js.not_configured", "Not configured");
  if (reply.status === 400 && reply.data && reply.data.error === "invalid_data") return t("js.invalid", "Check the fields");
  return (reply.data && reply.data.message) || t("js.failed", "Failed");
}

async function callService(full, data) {
  const [domain, service] = full.split(".");
  return api("POST", `/api/services/${encodeURIComponent(domain)}/${encodeURIComponent(service)}`, data);
}

/* The action dialog: a service form with some values fixed (the passage, the lane). */
function openServiceDialog({ service, title, subtitle, values, hidden, onDone }) {
  const dialog = document.getElementById("action-dialog");
  const info = (Page.services || {})[service] || {};
  document.getElementById("action-title").textContent = title;
  document.getElementById("action-subtitle").textContent = subtitle || "";
  const errorNode = document.getElementById("action-error");
  errorNode.classList.add("hidden");
  const form = buildForm(document.getElementById("action-fields"), info.schema, { values, hidden, quiet: true });
  const formNode = document.getElementById("action-form");
  const submit = document.getElementById("action-submit");
  formNode.onsubmit = async (ev) => {
    ev.preventDefault();
    const { data, problems } = form.read();
    if (problems.length) { form.showErrors(problems); return; }
    submit.disabled = true;
    const reply = await callService(service, data);
    submit.disabled = false;
    if (reply.ok) {
      dialog.close();
      // On a two-step lane a guard's release comes back as a request waiting for an officer.
      const result = reply.data && reply.data.result;
      const requested = result && result.status === "pending" && result.requester;
      toast(requested ? t("js.release_requested") : t("js.done", "Done"), "ok");
      if (onDone) onDone(reply.data.result);
      return;
    }
    const rest = form.showErrors((reply.data && reply.data.fields) || []);
    errorNode.textContent = [errorText(reply), ...rest].join(" ");
    errorNode.classList.remove("hidden");
  };
  document.getElementById("action-cancel").onclick = () => dialog.close();
  dialog.showModal();
}

function toast(text, kind) {
  let box = document.getElementById("toasts");
  if (!box) { box = el("div", { id: "toasts", class: "toasts", role: "status" }); document.body.append(box); }
  const note = el("div", { class: `toast ${kind || ""}` }, text);
  box.append(note);
  setTimeout(() => note.remove(), 5000);
}

/* A service's result: a table for {items: [...]}, else a list of fields. */
function renderResult(node, result) {
  node.replaceChildren();
  if (result === null || result === undefined) { node.append(el("p", { class: "muted" }, t("js.done", "Done"))); return; }
  const items = Array.isArray(result) ? result : (result && Array.isArray(result.items) ? result.items : null);
  if (items) {
    if (result.total !== undefined) node.append(el("p", { class: "muted" }, t("js.total", "{total}", { total: result.total })));
    if (!items.length) { node.append(el("p", { class: "muted" }, t("js.empty", "—"))); return; }
    const columns = Object.keys(items[0]).filter((k) => typeof items[0][k] !== "object" || items[0][k] === null).slice(0, 12);
    const table = el("table", { class: "table" },
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", {}, t(`field.${c}`, c))))),
      el("tbody", {}, items.map((item) => el("tr", {}, columns.map((c) => el("td", {}, item[c] ?? ""))))));
    node.append(el("div", { class: "table-wrap" }, table));
    return;
  }
  if (typeof result !== "object") { node.append(el("p", {}, String(result))); return; }
  node.append(el("dl", { class: "facts wide" }, Object.entries(result).map(([k, v]) =>
    el("div", {}, el("dt", {}, t(`field.${k}`, k)), el("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))))));
}
