// The bubbles of the open conversation: drawing them (day separators, the
// history edge), their content, state and read receipts, and Recall.

import * as api from './api.js';
import { enlarge, loadEarlier } from './conversation.js';
import { actionsFor, customContent, partsFor } from './hooks.js';
import { onlyEmoji } from './emoji.js';
import { menuButton } from './msgmenu.js';
import { shownName } from './names.js';
import { retry } from './composer.js';
import {
  EMOJI, GROUP, IMAGE, PRIVATE, RECALLED, RECALL_MS, TEXT, VOICE, me, messagesEl, state, toast, userInfo,
} from './state.js';
import { avatar, clock, dayKey, dayLabel, el, isoTime, safeUpload } from './view.js';
import { formatDuration } from './voice.js';

// `mode`: 'bottom' scrolls to the newest, 'anchor' keeps what is on screen
// still (older messages were added above), otherwise follow the newest only
// if the reader was already there.
export function renderMessages(conv, mode) {
  if (state.current !== conv.key) return;
  const box = messagesEl;
  const fromBottom = box.scrollHeight - box.scrollTop;
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const parts = [];
  if (!conv.loaded) {
    parts.push(el('p', { className: 'history-edge', text: 'Loading…' }));
  } else if (conv.hasMore) {
    parts.push(el('button', {
      type: 'button', className: 'link history-edge load-earlier', text: conv.loadingEarlier ? 'Loading…' : 'Load earlier messages',
      onclick: () => loadEarlier(conv),
    }));
  } else {
    parts.push(el('p', { className: 'history-edge start', text: 'This is the start of the conversation.' }));
  }
  let day = null;
  const sorted = [...conv.messages.values()].sort((a, b) => a.Id - b.Id);
  const outgoing = [...state.pending.values()].filter((p) => p.conv === conv.key);
  for (const msg of [...sorted, ...outgoing]) {
    const key = dayKey(msg.CreateTime);
    if (key !== day) {
      parts.push(el('div', { className: 'day', role: 'separator' }, el('span', { text: dayLabel(msg.CreateTime) })));
      day = key;
    }
    if (msg.pending) {
      parts.push(messageNode(conv, msg));
    } else {
      let node = conv.nodes.get(msg.Id);
      if (!node) {
        node = messageNode(conv, msg);
        conv.nodes.set(msg.Id, node);
      }
      parts.push(node);
    }
  }
  box.replaceChildren(...parts);
  if (mode === 'anchor') box.scrollTop = box.scrollHeight - fromBottom;
  else if (mode === 'bottom' || atBottom || conv.stick) box.scrollTop = box.scrollHeight;
  // Not enough to scroll yet: fetch more so that scrolling up is possible.
  if (conv.loaded && conv.hasMore && !conv.loadingEarlier && box.scrollHeight <= box.clientHeight + 4) {
    loadEarlier(conv);
  }
}

// One stored message drawn again (a feature changed it: edited, reacted...).
export function redrawMessage(conv, id) {
  const old = conv.nodes.get(id);
  const msg = conv.messages.get(id);
  conv.nodes.delete(id);
  if (!msg || state.current !== conv.key) return;
  const node = messageNode(conv, msg);
  conv.nodes.set(id, node);
  if (old && old.isConnected) old.replaceWith(node);
}

function messageNode(conv, msg) {
  const mine = msg.pending || msg.UserId === me.ID;
  const row = el('div', {
    className: `msg ${mine ? 'mine' : 'theirs'}`,
    dataset: { id: msg.Id || '', cmid: msg.ClientMsgId || '', media: msg.Media },
  });
  const bubble = el('div', { className: 'bubble' });
  if (conv.type === GROUP && !mine) {
    const sender = userInfo(msg.UserId);
    const face = avatar({ name: shownName(sender), url: sender.Avatar, id: msg.UserId });
    face.dataset.senderId = msg.UserId;
    row.append(face);
    bubble.append(el('span', {
      className: 'sender', text: shownName(sender), title: `@${sender.Name}`, dataset: { senderId: msg.UserId },
    }));
  }
  bubble.append(...partsFor(msg, conv, 'top'));
  bubble.append(contentNode(conv, msg));
  bubble.append(...partsFor(msg, conv, 'bottom'));
  const meta = el('span', { className: 'meta' }, el('time', { datetime: isoTime(msg.CreateTime), text: clock(msg.CreateTime) }));
  meta.append(...partsFor(msg, conv, 'meta'));
  if (mine && !msg.Recalled) {
    meta.append(statusNode(conv, msg));
    if (!msg.pending) meta.append(receiptNode(conv, msg));
    if (!msg.pending && Date.now() - msg.CreateTime < RECALL_MS) {
      meta.append(el('button', {
        type: 'button', className: 'link recall', text: 'Recall', 'aria-label': 'Recall this message',
        onclick: () => recall(msg),
      }));
    }
  }
  if (actionsFor(msg, conv).length) meta.append(menuButton(msg, conv));
  bubble.append(meta);
  row.append(bubble);
  return row;
}

function statusNode(conv, msg) {
  if (!msg.pending) return el('span', { className: 'state sent', text: 'Sent', title: `stored as message ${msg.Id}` });
  if (msg.status === 'failed') {
    const retryButton = el('button', {
      type: 'button', className: 'link retry', text: 'Retry', onclick: () => retry(msg),
      'aria-label': 'Retry sending this message',
    });
    return el('span', { className: 'state failed', title: msg.error || '' }, `Failed${msg.error ? `: ${msg.error}` : ''} · `, retryButton);
  }
  return el('span', { className: 'state sending', text: msg.status === 'uploading' ? 'Uploading…' : 'Sending…' });
}

export function recall(msg) {
  if (!state.socket || !state.socket.send({ Type: 13, Id: msg.Id })) {
    api.post('/message/recall', { id: msg.Id }).catch((err) => toast(err.message));
  }
}

function contentNode(conv, msg) {
  if (msg.Recalled || msg.Media === RECALLED) {
    return el('p', { className: 'text muted recalled', text: msg.UserId === me.ID ? 'You recalled a message' : 'This message was recalled' });
  }
  const custom = customContent(msg, conv);
  if (custom) return custom;
  const src = msg.pending ? (msg.localUrl || safeUpload(msg.Url)) : safeUpload(msg.Url);
  switch (msg.Media) {
    case TEXT:
      return el('p', { className: 'text', text: msg.Content });
    case EMOJI:
      return el('p', { className: onlyEmoji(msg.Content || '') ? 'text emoji-only' : 'text', text: msg.Content });
    case IMAGE: {
      if (!src) return el('p', { className: 'text muted', text: '[picture unavailable]' });
      const img = el('img', { src, alt: 'Picture', decoding: 'async' });
      img.addEventListener('load', () => {
        if (conv.stick && state.current === conv.key) messagesEl.scrollTop = messagesEl.scrollHeight;
      });
      return el('button', { type: 'button', className: 'pic', 'aria-label': 'Open the picture', onclick: () => enlarge(src) }, img);
    }
    case VOICE: {
      if (!src) return el('p', { className: 'text muted', text: '[voice clip unavailable]' });
      return el('div', { className: 'voice' },
        el('span', { 'aria-hidden': 'true', text: '🎤' }),
        el('audio', { controls: true, preload: 'metadata', src, 'aria-label': `Voice clip, ${formatDuration(msg.Amount || 0)}` }),
        el('span', { className: 'dur', text: formatDuration(msg.Amount || 0) }));
    }
    default:
      return el('p', { className: 'text muted', text: msg.Content || '[a message this page cannot show]' });
  }
}

// --- read ticks: "Read" on private messages, "Read by N" in groups --------------
function readCount(conv, msg) {
  if (conv.type === PRIVATE) return conv.peerRead >= msg.Id ? 1 : 0;
  let count = 0;
  for (const [userId, id] of conv.readers) {
    if (userId !== me.ID && id >= msg.Id && msg.Id > (conv.joins.get(userId) || 0)) count += 1;
  }
  return count;
}

// "Read" (private) or "Read by N" (group), beside "Sent"; empty while unread.
function receiptNode(conv, msg) {
  const count = readCount(conv, msg);
  let text = '';
  if (count) text = conv.type === PRIVATE ? 'Read' : `Read by ${count}`;
  return el('span', { className: 'receipt', text, hidden: !count });
}

export function refreshTicks(conv) {
  if (!conv || state.current !== conv.key) return;
  for (const [id, node] of conv.nodes) {
    const msg = conv.messages.get(id);
    const old = msg && msg.UserId === me.ID && node.querySelector('.receipt');
    if (old) old.replaceWith(receiptNode(conv, msg));
  }
}

export async function loadReaders(conv) {
  try {
    const data = await api.get('/message/reads', { type: conv.type, targetId: conv.id });
    for (const row of data.Rows || []) {
      if (conv.type === PRIVATE && row.UserId === conv.id) conv.peerRead = Math.max(conv.peerRead, row.Id);
      if (conv.type === GROUP) {
        conv.readers.set(row.UserId, Math.max(conv.readers.get(row.UserId) || 0, row.Id));
        conv.joins.set(row.UserId, row.JoinId || 0);
      }
    }
    refreshTicks(conv);
  } catch (err) {
    /* no ticks until the next frame */
  }
}
