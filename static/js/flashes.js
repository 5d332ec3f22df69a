// The server's one-time messages ("Welcome to GinChat, ana.", a wrong
// password...), issue 27: each gets a Close button; a good-news one closes by
// itself after a few seconds (not while the pointer or focus is on it). In the
// app they sit in the page's flow under the top bar, never over its controls.

import { t } from './i18n.js';
import { el } from './view.js';

const OK_MS = 6000;

function closeOne(item) {
  const list = item.parentElement;
  item.remove();
  if (list && !list.children.length) list.remove();
}

function arm(item) {
  let timer = null;
  const start = () => {
    clearTimeout(timer);
    timer = setTimeout(() => closeOne(item), OK_MS);
  };
  const hold = () => clearTimeout(timer);
  item.addEventListener('pointerenter', hold);
  item.addEventListener('pointerleave', start);
  item.addEventListener('focusin', hold);
  item.addEventListener('focusout', start);
  start();
}

export function initFlashes() {
  const list = document.querySelector('.flashes');
  if (!list) return;
  const topbar = document.querySelector('.shell > .topbar');
  if (topbar) {
    list.classList.add('in-app');
    topbar.after(list);
  }
  for (const item of list.querySelectorAll('.flash')) {
    const text = el('span', { className: 'flash-text' }, ...item.childNodes);
    const close = el('button', { type: 'button', className: 'link flash-close', 'aria-label': t('Close'), text: '×' });
    close.addEventListener('click', () => closeOne(item));
    item.replaceChildren(text, close);
    if (!item.classList.contains('error')) arm(item);
  }
}

initFlashes();
