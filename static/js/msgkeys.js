// The message list is one tab stop (issue 27): Tab and Shift+Tab pass it in
// one step instead of walking every bubble's "⋯", quote, chip and link. The
// list itself (#messages) is the stop; inside it the arrow keys move:
//   Up / Down      the previous / next message (from the list: the newest)
//   Home / End     the first / last message drawn
//   Enter, Space   the focused message's actions (the "⋯" menu)
//   Right / Left   the controls inside the focused message (quote, links, chips, "⋯")
//   Esc            from a control back to its message
// Every control drawn inside the list gets tabindex="-1" as it arrives, but
// those with keys of their own: the inline editor, the open menu, the
// reaction picker.

import { messagesEl } from './dom.js';
import { el } from './view.js';
import { t } from './i18n.js';

const FOCUSABLE = 'a[href], button, input, select, textarea, audio[controls], video[controls], [tabindex]';
const OWN_KEYS = '.edit-form, .msg-menu, .reaction-picker';
const ROWS = '.msg, .load-earlier';

let menuFrom = null; // the message whose menu Enter opened

function tame(node) {
  if (!(node instanceof Element)) return;
  const all = node.matches(FOCUSABLE) ? [node, ...node.querySelectorAll(FOCUSABLE)] : node.querySelectorAll(FOCUSABLE);
  for (const item of all) {
    if (item === messagesEl || item.closest(OWN_KEYS)) continue;
    if (item.getAttribute('tabindex') !== '-1') item.setAttribute('tabindex', '-1');
  }
  const rows = node.matches('.msg') ? [node] : node.querySelectorAll('.msg');
  for (const row of rows) row.setAttribute('tabindex', '-1');
}

function rows() {
  return [...messagesEl.querySelectorAll(ROWS)];
}

function rowOf(node) {
  return node instanceof Element && node !== messagesEl ? node.closest(ROWS) : null;
}

function focusRow(row) {
  if (!row) return;
  row.focus({ preventScroll: true });
  row.scrollIntoView({ block: 'nearest' });
}

function controlsOf(row) {
  return [...row.querySelectorAll(FOCUSABLE)].filter((node) => node !== row && !node.matches('.bubble') && !node.closest(OWN_KEYS)
    && !node.hidden && !node.disabled && node.getClientRects().length > 0);
}

function onKey(event) {
  if (event.defaultPrevented && event.key !== 'Escape') return;
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.target;
  // The "⋯" menu opened from its message (Enter) and closed by Esc gave the
  // focus to its button: the message takes it back.
  if (event.key === 'Escape' && menuFrom && document.activeElement === menuFrom.querySelector('.msg-menu-btn')) {
    const row = menuFrom;
    menuFrom = null;
    focusRow(row);
    return;
  }
  if (event.defaultPrevented || (target instanceof Element && target.closest(OWN_KEYS))) return;
  const row = rowOf(target);
  const onRow = !!row && target === row;
  const all = rows();
  if (!all.length) return;
  const at = row ? all.indexOf(row) : all.length;
  const moves = { ArrowUp: at - 1, ArrowDown: row ? at + 1 : all.length - 1, Home: 0, End: all.length - 1 };
  if (event.key in moves && (onRow || !row || event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
    if (target.tagName === 'AUDIO' || target.tagName === 'VIDEO') return; // their own keys (seek, volume)
    event.preventDefault();
    focusRow(all[Math.max(0, Math.min(all.length - 1, moves[event.key]))]);
  } else if (onRow && (event.key === 'Enter' || event.key === ' ') && row.classList.contains('msg')) {
    const button = row.querySelector('.msg-menu-btn');
    if (button) {
      event.preventDefault();
      menuFrom = row;
      button.click();
    }
  } else if (row && row.classList.contains('msg') && (event.key === 'ArrowRight' || event.key === 'ArrowLeft')) {
    const controls = controlsOf(row);
    if (!controls.length) return;
    event.preventDefault();
    const i = controls.indexOf(target);
    const step = event.key === 'ArrowRight' ? 1 : -1;
    const next = i < 0 ? (step > 0 ? 0 : controls.length - 1) : i + step;
    if (next < 0 || next >= controls.length) focusRow(row);
    else controls[next].focus();
  } else if (event.key === 'Escape' && row && !onRow && row.classList.contains('msg')) {
    event.preventDefault();
    focusRow(row);
  }
}

export function initMessageKeys() {
  const hint = el('p', {
    id: 'messages-keys', className: 'visually-hidden',
    text: t('Up and Down move between messages; Enter opens a message\'s actions; Right and Left reach the links and buttons inside it.'),
  });
  messagesEl.after(hint);
  messagesEl.setAttribute('aria-describedby', 'messages-keys');
  tame(messagesEl);
  new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) tame(node);
  }).observe(messagesEl, { childList: true, subtree: true });
  messagesEl.addEventListener('keydown', onKey);
}
