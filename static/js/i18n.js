// The interface language (issue 26). The server picks it (the account's
// setting, else the browser's Accept-Language, else English) and says it in
// <html lang>; this module loads that language's catalogue before any module
// that imports it runs (top-level await), so every string is translated from
// the first paint. Keys are the English texts themselves, with {name}
// placeholders; a text the catalogue lacks stays English (tests/test_i18n.py
// fails for any such text of the app).

export const LANGUAGES = ['en', 'zh-CN'];
export const language = LANGUAGES.includes(document.documentElement.lang) ? document.documentElement.lang : 'en';

async function load(lang) {
  if (lang === 'en') return {};
  try {
    const res = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url), { credentials: 'same-origin' });
    return res.ok ? await res.json() : {};
  } catch {
    return {}; // offline or blocked: English rather than nothing
  }
}

const catalogue = await load(language);

// text in the chosen language; {name} in it is replaced by params.name.
export function t(text, params) {
  const out = catalogue[text] || text;
  if (!params) return out;
  return out.replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

// A count in the chosen language's digits and grouping (Intl).
export function num(n) {
  return Number(n).toLocaleString(language);
}
