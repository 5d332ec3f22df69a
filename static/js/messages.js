// The bubbles of the open conversation: drawing them (day separators, the
// history edge), their content, ticks or failed state, and the "⋯" menu.

import { scrollToDivider, updateJump, watchSeen } from './catchup.js';
import { actionsFor, customContent, partsFor } from './hooks.js';
import { onlyEmoji } from './emoji.js';
import { menuButton } from './msgmenu.js';
import { shownName, userInfo } from './names.js';
import { ticksNode } from './receipts.js';
import { EMOJI, GROUP, IMAGE, RECALLED, TEXT, VOICE } from './constants.js';
import { me, state } from './state.js';
import { messagesEl } from './dom.js';
import { avatar, clock, dayKey, dayLabel, el, isoTime, safeUpload } from './view.js';
import { formatDuration } from './voice.js';
import { t } from './i18n.js';

// What the bubbles' buttons do belongs to the modules that drive this one
// (conversation.js: earlier pages, the enlarged picture; composer.js: Retry
// and Delete of an unsent message). They hand their functions in once at
// start (chat.js), so that this module imports none of them.
const drivers = {
  loadEarlier: () => {},
  enlarge: () => {},
  retry: () => {},
  discard: () => {},
};

export function initMessages(handlers) {
  Object.assign(drivers, handlers);
}

// `mode`: 'open' scrolls to the "New messages" divider (else the newest),
// 'bottom' scrolls to the newest, 'anchor' keeps what is on screen
// still (older messages were added above), otherwise follow the newest only
// if the reader was already there.
export function renderMessages(conv, mode) {
  if (state.current !== conv.key) return;
  const box = messagesEl;
  const fromBottom = box.scrollHeight - box.scrollTop;
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  const parts = [];
  if (!conv.loaded) {
    parts.push(el('p', { className: 'history-edge', text: t('Loading…') }));
  } else if (conv.hasMore) {
    parts.push(el('button', {
      type: 'button', className: 'link history-edge load-earlier', text: conv.loadingEarlier ? t('Loading…') : t('Load earlier messages'),
      onclick: () => drivers.loadEarlier(conv),
    }));
  } else {
    parts.push(el('p', { className: 'history-edge start', text: t('This is the start of the conversation.') }));
  }
  let day = null;
  for (const msg of inTimeOrder(conv)) {
    const key = dayKey(msg.CreateTime);
    if (key !== day) {
      parts.push(el('div', { className: 'day', role: 'separator' }, el('span', { text: dayLabel(msg.CreateTime) })));
      day = key;
    }
    if (conv.dividerAt && msg.Id === conv.dividerAt) {
      parts.push(el('div', { className: 'unread-divider', role: 'separator', 'aria-label': t('New messages') },
        el('span', { text: t('New messages') })));
    }
    if (msg.pending) {
      parts.push(messageNode(conv, msg));
    } else {
      let node = conv.nodes.get(msg.Id);
      if (!node) {
        node = messageNode(conv, msg);
        conv.nodes.set(msg.Id, node);
        watchSeen(conv, msg, node);
      }
      parts.push(node);
    }
  }
  box.replaceChildren(...parts);
  if (mode === 'anchor') box.scrollTop = box.scrollHeight - fromBottom;
  else if (mode === 'open' && conv.loaded && scrollToDivider()) conv.stick = false;
  else if (mode === 'open' || mode === 'bottom' || atBottom || conv.stick) box.scrollTop = box.scrollHeight;
  updateJump();
  // Not enough to scroll yet: fetch more so that scrolling up is possible.
  if (conv.loaded && conv.hasMore && !conv.loadingEarlier && box.scrollHeight <= box.clientHeight + 4) {
    drivers.loadEarlier(conv);
  }
}

// Stored messages by Id, with mine not stored yet (sending, failed) put in at
// their time: a failed one stays where it was written, not below newer ones.
function inTimeOrder(conv) {
  const stored = [...conv.messages.values()].sort((a, b) => a.Id - b.Id);
  const outgoing = [...state.pending.values()].filter((p) => p.conv === conv.key)
    .sort((a, b) => a.CreateTime - b.CreateTime);
  const all = [];
  let i = 0;
  for (const msg of outgoing) {
    while (i < stored.length && stored[i].CreateTime <= msg.CreateTime) all.push(stored[i++]);
    all.push(msg);
  }
  return all.concat(stored.slice(i));
}

// One stored message drawn again (a feature changed it: edited, reacted...).
export function redrawMessage(conv, id) {
  const old = conv.nodes.get(id);
  const msg = conv.messages.get(id);
  conv.nodes.delete(id);
  if (!msg || state.current !== conv.key) return;
  const node = messageNode(conv, msg);
  conv.nodes.set(id, node);
  watchSeen(conv, msg, node);
  if (old && old.isConnected) old.replaceWith(node);
}

// One message's row (used by the conversation, and by a thread's panel with its view of it).
export function messageNode(conv, msg) {
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
    meta.append(msg.pending && msg.status === 'failed' ? failedNode(msg) : ticksNode(conv, msg));
  }
  if (actionsFor(msg, conv).length) meta.append(menuButton(msg, conv));
  bubble.append(meta);
  row.append(bubble);
  return row;
}

function failedNode(msg) {
  const node = el('span', { className: 'state failed', title: msg.error || '' },
    el('span', { text: msg.error ? t('Not sent: {error}', { error: msg.error }) : t('Not sent') }));
  if (msg.retryable) {
    node.append(el('button', {
      type: 'button', className: 'link retry', text: t('Retry'), onclick: () => drivers.retry(msg),
      'aria-label': t('Retry sending this message'),
    }));
  }
  node.append(el('button', {
    type: 'button', className: 'link discard', text: t('Delete'), onclick: () => drivers.discard(msg),
    'aria-label': t('Delete this unsent message'),
  }));
  return node;
}

function contentNode(conv, msg) {
  if (msg.Recalled || msg.Media === RECALLED) {
    return el('p', { className: 'text muted recalled', text: msg.UserId === me.ID ? t('You recalled a message') : t('This message was recalled') });
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
      if (!src) return el('p', { className: 'text muted', text: t('[picture unavailable]') });
      const img = el('img', { src, alt: t('Picture'), decoding: 'async' });
      img.addEventListener('load', () => {
        if (conv.stick && state.current === conv.key) messagesEl.scrollTop = messagesEl.scrollHeight;
      });
      return el('button', { type: 'button', className: 'pic', 'aria-label': t('Open the picture'), onclick: () => drivers.enlarge(src) }, img);
    }
    case VOICE: {
      if (!src) return el('p', { className: 'text muted', text: t('[voice clip unavailable]') });
      return el('div', { className: 'voice' },
        el('span', { 'aria-hidden': 'true', text: '🎤' }),
        el('audio', { controls: true, preload: 'metadata', src, 'aria-label': t('Voice clip, {duration}', { duration: formatDuration(msg.Amount || 0) }) }),
        el('span', { className: 'dur', text: formatDuration(msg.Amount || 0) }));
    }
    default:
      return el('p', { className: 'text muted', text: msg.Content || t('[a message this page cannot show]') });
  }
}
