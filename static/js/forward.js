// Forwarding (issue 28): "Forward" in a message's menu picks a conversation
// and sends it there (POST /message/forward); "Select messages" ticks several
// of the open conversation, then "Forward one by one" or "Forward as chat
// record" (合并转发, one Media 6 message). A forwarded message shows
// "Forwarded from …"; a chat record is a card that opens its messages
// (GET /message/record).

import * as api from './api.js';
import { fileIcon, formatSize } from './files.js';
import { registerBubblePart, registerContentRenderer, registerMessageAction } from './hooks.js';
import { redrawMessage } from './messages.js';
import { $ } from './dom.js';
import { EMOJI, GROUP, IMAGE, PRIVATE, RECALLED, TEXT, VOICE } from './constants.js';
import { currentConv } from './convs.js';
import { state } from './state.js';
import { clock, dayLabel, el, safeUpload, toast } from './view.js';
import { num, t } from './i18n.js';

export const RECORD = 6;
const FILE = 5;
const MAX_MERGED = 100;
const MAX_ONE_BY_ONE = 20;

let selecting = null; // { key, ids: Set } while messages are being ticked
let bar = null;

function forwardable(msg) {
  return !msg.Recalled && msg.Media !== RECALLED && !msg.pending;
}

function mediaLabel(media) {
  if (media === IMAGE) return t('[picture]');
  if (media === VOICE) return t('[voice clip]');
  if (media === FILE) return t('[file]');
  if (media === RECORD) return t('[chat record]');
  return t('[attachment]');
}

// --- the conversation picker --------------------------------------------------------
function convName(conv) {
  return conv.name || (conv.type === GROUP ? t('group {id}', { id: conv.id }) : t('user {id}', { id: conv.id }));
}

function pickConversation(title) {
  return new Promise((resolve) => {
    const convs = [...state.convs.values()]
      .filter((c) => c.type === PRIVATE || c.type === GROUP)
      .sort((a, b) => ((b.last && b.last.Id) || 0) - ((a.last && a.last.Id) || 0));
    const filter = el('input', {
      type: 'search', className: 'forward-filter', placeholder: t('Search conversations'), 'aria-label': t('Search conversations'),
    });
    const list = el('ul', { className: 'forward-list', 'aria-label': t('Conversations') });
    let chosen = null;
    const dialog = el('dialog', { className: 'confirm-dialog forward-dialog', 'aria-labelledby': 'forward-title' },
      el('h3', { id: 'forward-title', text: title }), filter, list,
      el('div', { className: 'dialog-actions' },
        el('button', { type: 'button', className: 'secondary', text: t('Cancel'), onclick: () => dialog.close() })));
    const draw = () => {
      const q = filter.value.trim().toLowerCase();
      list.replaceChildren(...convs.filter((c) => !q || convName(c).toLowerCase().includes(q)).map((conv) => el('li', {},
        el('button', {
          type: 'button', className: 'forward-target', dataset: { key: conv.key },
          text: `${conv.type === GROUP ? '# ' : ''}${convName(conv)}`,
          onclick: () => {
            chosen = conv;
            dialog.close();
          },
        }))));
      if (!list.children.length) list.append(el('li', { className: 'muted', text: t('No conversation matches.') }));
    };
    filter.addEventListener('input', draw);
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(chosen);
    });
    draw();
    document.body.append(dialog);
    dialog.showModal();
    filter.focus();
  });
}

async function forwardTo(ids, merge) {
  const target = await pickConversation(merge ? t('Forward as a chat record to…') : t('Forward to…'));
  if (!target) return false;
  try {
    await api.post('/message/forward', {
      ids: ids.join(','), type: target.type, targetId: target.id, merge: merge ? 'true' : 'false',
    });
    toast(t('Forwarded to {name}', { name: convName(target) }));
    return true;
  } catch (err) {
    toast(t('Not forwarded: {error}', { error: err.message }));
    return false;
  }
}

// --- selecting several --------------------------------------------------------------
function redrawAll(conv) {
  for (const id of conv.messages.keys()) redrawMessage(conv, id);
}

function showBar() {
  const conv = currentConv();
  const on = !!selecting && !!conv && selecting.key === conv.key;
  bar.hidden = !on;
  document.body.classList.toggle('selecting-messages', on);
  if (!on) return;
  const n = selecting.ids.size;
  bar.querySelector('.select-count').textContent = t('{n} selected', { n: num(n) });
  bar.querySelector('.forward-each').disabled = n === 0 || n > MAX_ONE_BY_ONE;
  bar.querySelector('.forward-merged').disabled = n === 0 || n > MAX_MERGED;
}

function startSelecting(conv, msg) {
  selecting = { key: conv.key, ids: new Set([msg.Id]) };
  redrawAll(conv);
  showBar();
}

export function stopSelecting() {
  if (!selecting) return false;
  const conv = state.convs.get(selecting.key);
  selecting = null;
  if (conv) redrawAll(conv);
  showBar();
  return true;
}

function checkbox(msg, conv) {
  if (!selecting || selecting.key !== conv.key || conv.thread || !forwardable(msg)) return null;
  const box = el('input', {
    type: 'checkbox', className: 'select-msg', 'aria-label': t('Select this message'), dataset: { id: msg.Id },
  });
  box.checked = selecting.ids.has(msg.Id);
  box.addEventListener('change', () => {
    if (!selecting) return;
    if (box.checked) selecting.ids.add(msg.Id);
    else selecting.ids.delete(msg.Id);
    showBar();
  });
  return box;
}

async function forwardSelected(merge) {
  if (!selecting) return;
  const ids = [...selecting.ids].sort((a, b) => a - b);
  if (await forwardTo(ids, merge)) stopSelecting();
}

// --- what a forwarded message and a chat record look like ------------------------
function forwardedMark(msg) {
  if (!msg.Forward || msg.Recalled) return null;
  return el('p', {
    className: 'forwarded', text: t('Forwarded from {name}', { name: msg.Forward.Name || t('user {id}', { id: msg.Forward.UserId }) }),
  });
}

function recordCard(msg) {
  const card = msg.Record || { Title: '', Count: 0, Preview: [] };
  const lines = (card.Preview || []).map((p) => el('li', { text: `${p.Name}: ${p.Snippet || mediaLabel(p.Media)}` }));
  return el('button', {
    type: 'button', className: 'record-card', dataset: { recordId: msg.Id },
    'aria-label': t('Chat record: {title}, {n} messages. Open it', { title: card.Title, n: num(card.Count) }),
    onclick: () => openRecord(msg),
  },
  el('span', { className: 'record-title', text: t('Chat record: {title}', { title: card.Title }) }),
  el('ul', { className: 'record-preview' }, ...lines),
  el('span', { className: 'record-count', text: t('{n} messages', { n: num(card.Count) }) }));
}

function itemBody(item) {
  const src = safeUpload(item.Url);
  if (item.Media === TEXT || item.Media === EMOJI) return el('p', { className: 'text', text: item.Content });
  if (item.Media === IMAGE && src) return el('img', { src, alt: t('Picture'), className: 'record-picture', decoding: 'async' });
  if (item.Media === VOICE && src) return el('audio', { controls: true, preload: 'metadata', src, 'aria-label': t('Voice clip') });
  if (item.Media === FILE && src) {
    const file = item.File || { Name: t('file'), Size: 0, Mime: '' };
    return el('p', { className: 'record-file' }, el('span', { 'aria-hidden': 'true', text: `${fileIcon(file.Mime)} ` }),
      el('a', { href: src, download: file.Name, text: file.Name }), ` · ${formatSize(file.Size)}`);
  }
  return el('p', { className: 'text muted', text: mediaLabel(item.Media) });
}

async function openRecord(msg) {
  const card = msg.Record || { Title: '' };
  const list = el('ol', { className: 'record-items', 'aria-busy': 'true' }, el('li', { className: 'muted', text: t('Loading…') }));
  const close = el('button', { type: 'button', className: 'secondary', text: t('Close') });
  const dialog = el('dialog', { className: 'confirm-dialog record-dialog', 'aria-labelledby': 'record-title' },
    el('h3', { id: 'record-title', text: t('Chat record: {title}', { title: card.Title }) }), list,
    el('div', { className: 'dialog-actions' }, close));
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
  try {
    const data = await api.get('/message/record', { id: msg.Id });
    let day = null;
    const rows = [];
    for (const item of data.Rows || []) {
      const label = dayLabel(item.CreateTime);
      if (label !== day) {
        rows.push(el('li', { className: 'record-day', text: label }));
        day = label;
      }
      rows.push(el('li', { className: 'record-item' },
        el('span', { className: 'record-who', text: item.Name || t('user {id}', { id: item.UserId }) }),
        el('time', { className: 'record-time', text: clock(item.CreateTime) }),
        itemBody(item)));
    }
    list.replaceChildren(...rows);
  } catch (err) {
    list.replaceChildren(el('li', { className: 'muted', text: t('The chat record cannot be shown: {error}', { error: err.message }) }));
  }
  list.removeAttribute('aria-busy');
}

export function initForward() {
  bar = el('div', { className: 'select-bar', id: 'select-bar', hidden: true, role: 'toolbar', 'aria-label': t('Selected messages') },
    el('span', { className: 'select-count', 'aria-live': 'polite' }),
    el('button', { type: 'button', className: 'forward-each', text: t('Forward one by one'), onclick: () => forwardSelected(false) }),
    el('button', { type: 'button', className: 'forward-merged', text: t('Forward as chat record'), onclick: () => forwardSelected(true) }),
    el('button', { type: 'button', className: 'secondary select-cancel', text: t('Cancel'), onclick: () => stopSelecting() }));
  $('composer').before(bar);
  registerMessageAction({
    id: 'forward',
    label: t('Forward'),
    when: (msg) => forwardable(msg),
    run: (msg) => forwardTo([msg.Id], false),
  });
  registerMessageAction({
    id: 'select',
    label: t('Select messages'),
    when: (msg, conv) => forwardable(msg) && !conv.thread && !(selecting && selecting.key === conv.key),
    run: (msg, conv) => startSelecting(conv, msg),
  });
  registerBubblePart((msg, conv) => checkbox(msg, conv), { where: 'top' });
  registerBubblePart((msg) => forwardedMark(msg), { where: 'top' });
  registerContentRenderer((msg) => (msg.Media === RECORD ? recordCard(msg) : null));
  window.addEventListener('hashchange', () => {
    if (selecting && (!currentConv() || currentConv().key !== selecting.key)) stopSelecting();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && selecting && !document.querySelector('dialog[open]')) stopSelecting();
  });
}
