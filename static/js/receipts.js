// The ticks on my own bubbles, as other apps show them:
//   ◔ sending · ✓ sent (stored) · ✓✓ delivered · ✓✓ read (highlighted);
//   in a group: ✓✓ N, "read by N" (members who read it, not counting me).
// "Delivered" for a private message: the friend's device has been connected
// since it was stored (online, answered, or read it); the server keeps no
// delivery cursor, so this is what the page can know.

import * as api from './api.js';
import { GROUP, PRIVATE } from './constants.js';
import { me, state } from './state.js';
import { nameOf } from './names.js';
import { el } from './view.js';
import { t } from './i18n.js';

// The members (not me) who read `msg` of a group.
function readersOf(conv, msg) {
  const who = [];
  for (const [userId, id] of conv.readers) {
    if (userId !== me.ID && id >= msg.Id && msg.Id > (conv.joins.get(userId) || 0)) who.push(userId);
  }
  return who;
}

function readCount(conv, msg) {
  if (conv.type === PRIVATE) return conv.peerRead >= msg.Id ? 1 : 0;
  return readersOf(conv, msg).length;
}

const NAMED_READERS = 10; // a title names this many readers, then "and N more"

// "Read by Ana Lima, Ben" for a group message's title (the names as names.js shows them).
function readersLine(conv, msg) {
  const ids = readersOf(conv, msg);
  const names = ids.slice(0, NAMED_READERS).map(nameOf).join(t(', '));
  return ids.length > NAMED_READERS
    ? t('Read by {names} and {n} more', { names, n: ids.length - NAMED_READERS })
    : t('Read by {names}', { names });
}

function tickState(conv, msg) {
  if (msg.pending) return msg.status === 'uploading' ? 'uploading' : 'sending';
  const count = readCount(conv, msg);
  if (count) return 'read';
  if (conv.type === PRIVATE && conv.delivered >= msg.Id) return 'delivered';
  return 'sent';
}

export function ticksNode(conv, msg) {
  const tick = tickState(conv, msg);
  const count = conv.type === GROUP && tick === 'read' ? readCount(conv, msg) : 0;
  const words = {
    uploading: t('Uploading…'), sending: t('Sending…'), sent: t('Sent'), delivered: t('Delivered'),
    read: count ? t('Read by {n}', { n: count }) : t('Read'),
  }[tick];
  const glyph = { uploading: t('Uploading…'), sending: '◔', sent: '✓', delivered: '✓✓', read: '✓✓' }[tick];
  const said = count ? readersLine(conv, msg) : words;
  const node = el('span', {
    className: 'ticks', role: 'img', 'aria-label': words, title: msg.Id ? t('{state} · message {id}', { state: said, id: msg.Id }) : said,
    dataset: { state: tick },
  }, el('span', { 'aria-hidden': 'true', text: glyph }));
  if (count) node.append(el('span', { className: 'count', 'aria-hidden': 'true', text: String(count) }));
  return node;
}

// Redraw the ticks of my stored messages in the open conversation.
export function refreshTicks(conv) {
  if (!conv || state.current !== conv.key) return;
  for (const [id, node] of conv.nodes) {
    const msg = conv.messages.get(id);
    const old = msg && msg.UserId === me.ID && node.querySelector('.ticks');
    if (old) old.replaceWith(ticksNode(conv, msg));
  }
}

// Everything up to `id` has reached the friend's device.
export function noteDelivered(conv, id) {
  if (!conv || conv.type !== PRIVATE || id <= conv.delivered) return;
  conv.delivered = id;
  refreshTicks(conv);
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
