// Small DOM helpers, and the page's toast, form status lines and busy
// buttons. User content only ever goes in through textContent or checked
// attributes: never as HTML.

import { language, t } from './i18n.js';

const UPLOAD_RE = /^\/uploads\/[A-Za-z0-9_-]{1,64}\.[a-z0-9]{1,5}$/;

export function safeUpload(url) {
  return typeof url === 'string' && UPLOAD_RE.test(url) ? url : '';
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// An avatar: the uploaded picture, or the name's first letter on a colour
// chosen from the id.
export function fillAvatar(node, { name, url, id, group }) {
  node.replaceChildren();
  node.classList.toggle('group', !!group);
  const src = safeUpload(url);
  if (src) {
    node.append(el('img', { src, alt: '', loading: 'lazy', decoding: 'async' }));
  } else {
    node.textContent = group ? '#' : ([...(name || '?')][0] || '?').toUpperCase();
  }
  node.style.setProperty('--hue', String(((Number(id) || 0) * 67) % 360));
  return node;
}

export function avatar(info) {
  return fillAvatar(el('span', { className: 'avatar', 'aria-hidden': 'true' }), info);
}

const timeFormat = new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(language, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

const weekdayFormat = new Intl.DateTimeFormat(language, { weekday: 'short' });
const shortDayFormat = new Intl.DateTimeFormat(language, { day: 'numeric', month: 'short' });

// A list's time: the clock today, the weekday this week, else the date.
export function shortWhen(ms) {
  const age = Date.now() - ms;
  if (dayKey(ms) === dayKey(Date.now())) return clock(ms);
  if (age < 6 * 86400000) return weekdayFormat.format(new Date(ms));
  return shortDayFormat.format(new Date(ms));
}

export function clock(ms) {
  return timeFormat.format(new Date(ms));
}

export function dayKey(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function dayLabel(ms) {
  const now = new Date();
  const today = dayKey(now.getTime());
  const yesterday = dayKey(now.getTime() - 86400000);
  const key = dayKey(ms);
  if (key === today) return t('Today');
  if (key === yesterday) return t('Yesterday');
  return dayFormat.format(new Date(ms));
}

export function isoTime(ms) {
  return new Date(ms).toISOString();
}

// --- small things of the forms and the page ------------------------------------------
let toastTimer = null;
export function toast(text) {
  let box = document.getElementById('toast');
  if (!box) {
    box = el('div', { id: 'toast', className: 'toast', role: 'alert' });
    document.body.append(box);
  }
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

export function formStatus(form, text, ok) {
  const line = form.querySelector('.form-status');
  line.textContent = text;
  line.classList.toggle('ok', !!ok);
  line.classList.toggle('error', !ok);
}

export function busy(form, on) {
  for (const button of form.querySelectorAll('button')) button.disabled = on;
}

export function miniButton(text, onclick, extra = {}) {
  return el('button', { type: 'button', text, onclick, ...extra });
}
