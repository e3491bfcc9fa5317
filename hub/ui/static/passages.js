/* 通行记录查询: saved searches, kept per user in this browser (localStorage). */
"use strict";

(function () {
  const key = `ecogate.saved_searches.${Page.user || ""}`;
  const list = document.getElementById("saved-list");
  const button = document.getElementById("save-search");
  if (!list || !button) return;
  const load = () => {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (err) { return []; }
  };
  const store = (items) => localStorage.setItem(key, JSON.stringify(items));
  function render() {
    const items = load();
    list.replaceChildren();
    if (!items.length) list.append(el("span", { class: "muted small-text", text: t("js.no_saved_searches", "none") }));
    items.forEach((item, index) => {
      list.append(el("span", { class: "pill saved-search" },
        el("a", { href: `/passages?${item.query}` }, item.name),
        el("button", { type: "button", class: "btn small ghost", "aria-label": t("js.delete_saved_search", "Delete"),
          title: t("js.delete_saved_search", "Delete"),
          onclick: () => { const all = load(); all.splice(index, 1); store(all); render(); } }, "×")));
    });
  }
  button.addEventListener("click", () => {
    const params = new URLSearchParams(location.search);
    for (const name of ["page", "lang"]) params.delete(name);
    const name = (window.prompt(t("js.name_saved_search", "Name of this search"), params.get("plate") || "") || "").trim();
    if (!name) return;
    const items = load().filter((item) => item.name !== name);
    items.push({ name: name.slice(0, 40), query: params.toString() });
    store(items.slice(-20));
    render();
  });
  render();
})();
