// Pinned and saved messages (issue 28). The message menu gets Pin/Unpin
// (where the conversation's rule allows: either side of a private chat; in a
// group every member, or only the owner and admins when its WhoMayPin says
// so) and Save/Unsave; a pinned bubble shows 📌. The conversation header
// gets "Pinned (n)", a list of the conversation's pinned messages (click one
// to jump to it). The Me tab gets "Saved messages", my own list, kept
// current on all my devices by the Type 21 frames. Type 20 frames (a pin or
// unpin, with its place in the message Id sequence) move the socket's
// resume point like a message does.

import * as api from './api.js';
import { registerBubblePart, registerFrameHandler, registerMessageAction } from './hooks.js';
import { redrawMessage } from './messages.js';
import { convOfEvent } from './frames.js';
import { openHit } from './search.js';
import { shownName, userInfo } from './names.js';
import { $ } from './dom.js';
import { EMOJI, GROUP, IMAGE, PRIVATE, TEXT, VOICE } from './constants.js';
import { convKey, currentConv } from './convs.js';
import { me, state } from './state.js';
import { el, shortWhen, toast } from './view.js';
import { t } from './i18n.js';

export const PIN = 20;
export const SAVE = 21;
const SNIPPET = 120;
const SAVED_PAGE = 100;

const saved = new Set(); // Ids of the messages I saved (the first SAVED_PAGE, then live)
let pinsOpen = false;

function describe(msg) {
  if (msg.Recalled) return t('message recalled');
  if (msg.Media === TEXT || msg.Media === EMOJI) return (msg.Content || '').replace(/\s+/g, ' ').slice(0, SNIPPET);
  if (msg.Media === IMAGE) return t('[picture]');
  if (msg.Media === VOICE) return t('[voice clip]');
  return t('[attachment]');
}

function nameOf(userId) {
  return userId === me.ID ? t('You') : shownName(userInfo(userId));
}

function mayPin(conv) {
  return conv.type === PRIVATE || conv.whoMayPin !== 'admins' || conv.role === 'owner' || conv.role === 'admin';
}

function isPinned(conv, msg) {
  return !!conv.pins && conv.pins.has(msg.Id);
}

// --- pins ------------------------------------------------------------------------------
async function loadPins(conv) {
  try {
    const data = await api.get('/message/pins', { type: conv.type, targetId: conv.id });
    conv.pins = new Map((data.Rows || []).map((row) => [row.Id, row]));
  } catch (err) {
    conv.pins = conv.pins || new Map();
    return;
  }
  for (const id of conv.pins.keys()) if (conv.messages.has(id)) redrawMessage(conv, id);
  if (state.current === conv.key) renderPins(conv);
}

async function setPin(msg, conv, pinned) {
  try {
    const data = await api.post('/message/pin', { id: msg.Id, remove: !pinned });
    applyPin(data.Data);
    toast(pinned ? t('Pinned.') : t('Unpinned.'));
  } catch (err) {
    toast(t('Not changed: {error}', { error: err.message }));
  }
}

// A Type 20 frame (or the Data of /message/pin): the conversation's list follows.
function applyPin(frame) {
  const conv = convOfEvent(frame);
  if (!conv || !conv.pins) return; // not opened here yet: loaded when it opens
  if (frame.Pinned) {
    const known = conv.messages.get(frame.MsgId);
    const entry = conv.pins.get(frame.MsgId) || (known ? { ...known } : null);
    if (!entry) {
      loadPins(conv); // a message not loaded here: ask the list
      return;
    }
    entry.Pin = { Id: frame.Id, UserId: frame.PinnedBy, Time: frame.PinTime };
    conv.pins.delete(frame.MsgId);
    conv.pins = new Map([[frame.MsgId, entry], ...conv.pins]); // newest pin first
  } else {
    conv.pins.delete(frame.MsgId);
  }
  if (conv.messages.has(frame.MsgId)) redrawMessage(conv, frame.MsgId);
  if (state.current === conv.key) renderPins(conv);
}

function pinItem(conv, row) {
  const unpin = mayPin(conv)
    ? el('button', {
      type: 'button', className: 'link pin-unpin', text: t('Unpin'),
      'aria-label': t('Unpin: {text}', { text: describe(row) }),
      onclick: () => setPin(row, conv, false),
    })
    : null;
  return el('li', { className: 'pin-item', dataset: { id: row.Id } },
    el('button', {
      type: 'button', className: 'link pin-open',
      onclick: () => openHit({ ConvType: conv.type, ConvId: conv.id, Id: row.Id }),
    },
    el('span', { className: 'pin-who', text: nameOf(row.UserId) }),
    el('span', { className: 'pin-text', text: describe(row) }),
    el('time', { className: 'pin-when', text: shortWhen(row.CreateTime) })),
    unpin);
}

function renderPins(conv) {
  const count = conv.pins ? conv.pins.size : 0;
  const button = $('pins-btn');
  button.textContent = count ? t('Pinned ({n})', { n: count }) : t('Pinned');
  button.setAttribute('aria-expanded', String(pinsOpen));
  const panel = $('pins-panel');
  panel.hidden = !pinsOpen;
  if (!pinsOpen) return;
  const rows = conv.pins ? [...conv.pins.values()] : [];
  $('pins-list').replaceChildren(...(rows.length
    ? rows.map((row) => pinItem(conv, row))
    : [el('li', { className: 'empty', text: t('No pinned messages.') })]));
}

function buildPinsUi() {
  const button = el('button', {
    type: 'button', className: 'link', id: 'pins-btn', text: t('Pinned'),
    'aria-expanded': 'false', 'aria-controls': 'pins-panel',
  });
  $('conv-tools').prepend(button);
  const panel = el('section', { id: 'pins-panel', className: 'pins-panel', hidden: true, 'aria-label': t('Pinned messages') },
    el('h3', { text: t('Pinned messages') }),
    el('ul', { id: 'pins-list', className: 'list pins' }));
  $('group-panel').before(panel);
  button.addEventListener('click', () => {
    const conv = currentConv();
    if (!conv) return;
    pinsOpen = !pinsOpen;
    renderPins(conv);
    if (pinsOpen) loadPins(conv);
  });
}

// --- saved -----------------------------------------------------------------------------
async function setSaved(msg, on) {
  try {
    const data = await api.post('/message/save', { id: msg.Id, remove: !on });
    applySave(data.Data);
    toast(on ? t('Saved to your Saved messages.') : t('Removed from your Saved messages.'));
  } catch (err) {
    toast(t('Not changed: {error}', { error: err.message }));
  }
}

function applySave(frame) {
  if (frame.Saved) saved.add(frame.MsgId);
  else saved.delete(frame.MsgId);
  const box = $('saved-box');
  if (box && box.open) loadSaved();
}

function convName(msg) {
  const type = msg.Type === GROUP ? GROUP : PRIVATE;
  const other = type === GROUP ? msg.TargetId : (msg.UserId === me.ID ? msg.TargetId : msg.UserId);
  const conv = state.convs.get(convKey(type, other));
  return { conv, type, other, name: conv ? conv.name : (type === GROUP ? `#${other}` : nameOf(other)) };
}

function savedItem(msg) {
  const where = convName(msg);
  return el('li', { className: 'item saved-item', dataset: { id: msg.Id } },
    el('button', {
      type: 'button', className: 'link saved-open',
      'aria-label': t('Open {text} in {name}', { text: describe(msg), name: where.name }),
      onclick: () => openHit({ ConvType: where.type, ConvId: where.other, Id: msg.Id }),
    },
    el('span', { className: 'saved-where', text: `${where.name} · ${nameOf(msg.UserId)}` }),
    el('span', { className: 'saved-text', text: describe(msg) }),
    el('time', { className: 'saved-when', text: shortWhen(msg.CreateTime) })),
    el('button', {
      type: 'button', className: 'link saved-remove', text: t('Unsave'),
      'aria-label': t('Unsave: {text}', { text: describe(msg) }),
      onclick: () => setSaved(msg, false),
    }));
}

async function loadSaved() {
  let data;
  try {
    data = await api.get('/message/saved', { size: SAVED_PAGE });
  } catch (err) {
    return;
  }
  const rows = data.Rows || [];
  saved.clear();
  for (const msg of rows) saved.add(msg.Id);
  $('saved-count').textContent = String(data.Total || 0);
  $('saved-list').replaceChildren(...(rows.length
    ? rows.map(savedItem)
    : [el('li', { className: 'empty', text: t('Nothing saved yet: choose Save in a message’s menu.') })]));
}

function buildSavedUi() {
  const box = el('details', { id: 'saved-box', className: 'card-form saved-box' },
    el('summary', {}, t('Saved messages'), ' (', el('span', { id: 'saved-count', text: '0' }), ')'),
    el('ul', { id: 'saved-list', className: 'list saved', 'aria-label': t('Saved messages, the newest first') }));
  $('me-h').after(box);
  box.addEventListener('toggle', () => {
    if (box.open) loadSaved();
  });
}

export function initPins() {
  buildPinsUi();
  buildSavedUi();
  registerMessageAction({
    id: 'pin',
    label: t('Pin'),
    when: (msg, conv) => !msg.Recalled && !!conv.pins && !isPinned(conv, msg) && mayPin(conv),
    run: (msg, conv) => setPin(msg, conv, true),
  });
  registerMessageAction({
    id: 'unpin',
    label: t('Unpin'),
    when: (msg, conv) => isPinned(conv, msg) && mayPin(conv),
    run: (msg, conv) => setPin(msg, conv, false),
  });
  registerMessageAction({
    id: 'save',
    label: t('Save message'),
    when: (msg) => !msg.Recalled && !saved.has(msg.Id),
    run: (msg) => setSaved(msg, true),
  });
  registerMessageAction({
    id: 'unsave',
    label: t('Unsave'),
    when: (msg) => saved.has(msg.Id),
    run: (msg) => setSaved(msg, false),
  });
  registerBubblePart((msg, conv) => (isPinned(conv, msg)
    ? el('span', { className: 'pin-mark', text: '📌', title: t('Pinned'), 'aria-label': t('Pinned') })
    : null), { where: 'meta' });
  registerFrameHandler(PIN, (frame) => {
    if (Number.isInteger(frame.Id) && frame.Id > state.lastId) state.lastId = frame.Id;
    applyPin(frame);
  });
  registerFrameHandler(SAVE, applySave);
  // A pinned message edited or recalled: its line in the list follows.
  const follow = (id, change) => (frame) => {
    const conv = convOfEvent(frame);
    const entry = conv && conv.pins && conv.pins.get(frame[id]);
    if (!entry) return;
    Object.assign(entry, change(frame));
    if (state.current === conv.key) renderPins(conv);
  };
  registerFrameHandler(13, follow('Id', () => ({ Recalled: true, Content: '', Media: 0 })));
  registerFrameHandler(15, follow('MsgId', (frame) => (frame.Recalled ? { Recalled: true, Content: '' } : { Content: frame.Content })));
  // A conversation's pins load when it opens; the header's list follows it.
  document.addEventListener('ginchat:header', (event) => {
    const conv = event.detail;
    if (!conv.pins && !conv.pinsLoading) {
      conv.pinsLoading = true;
      loadPins(conv).finally(() => { conv.pinsLoading = false; });
    }
    if ($('pins-panel').dataset.conv !== conv.key) {
      $('pins-panel').dataset.conv = conv.key;
      pinsOpen = false;
    }
    renderPins(conv);
  });
  loadSaved();
}
