/* WCAG 2 contrast of every text on the page (tests/ui/test_accessibility.py): for each element with text
   of its own, its colour over the first opaque background behind it (colours with alpha blended).
   Elements over a picture or gradient are left out. Returns the texts below 4.5:1 (large text: 3:1). */
() => {
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const blend = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  function behind(el) {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.backgroundImage !== "none") return null;
      const c = parse(s.backgroundColor); if (c && c[3] > 0) { layers.push(c); if (c[3] === 1) break; }
    }
    let colour = [255, 255, 255, 1];
    for (const layer of layers.reverse()) colour = layer[3] === 1 ? layer : blend(layer, colour);
    return colour;
  }
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest("[hidden], .hidden, dialog:not([open]), template, script, style, option")) continue;
    const s = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (s.visibility === "hidden" || s.display === "none" || box.width === 0 || box.height === 0) continue;
    if (parseFloat(s.opacity) < 1) continue;  // a disabled control: WCAG asks nothing of it
    const under = behind(el); if (!under) continue;
    const fg = blend(parse(s.color), under);
    const [a, b] = [lum(fg), lum(under)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(s.fontSize), weight = parseInt(s.fontWeight, 10);
    const large = size >= 24 || (size >= 18.66 && weight >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${s.color} on rgb(${under.slice(0, 3).map(Math.round)}) = ${ratio.toFixed(2)}`);
  }
  return bad;
}
