// WCAG contrast of each visible element matching `selector` against the first
// opaque background behind it: [{ text, cls, ratio }]. Used by test_chat_app.py.
(selector) => {
  const parse = (c) => {
    const p = c.match(/[\d.]+/g).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (c) => {
      const v = c / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  return [...document.querySelectorAll(selector)]
    .filter((n) => n.getClientRects().length && n.textContent.trim())
    .map((n) => {
      const [hi, lo] = [lum(parse(getComputedStyle(n).color)), lum(behind(n))].sort((x, y) => y - x);
      const ratio = Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
      return { text: n.textContent.trim().slice(0, 40), cls: String(n.className), ratio };
    });
}
