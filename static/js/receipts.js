// The ticks on my own bubbles, as other apps show them:
//   ◔ sending · ✓ sent (stored) · ✓✓ delivered · ✓✓ read (highlighted);
//   in a group: ✓✓ N, "read by N" (members who read it, not counting me).
// "Delivered" for a private message: the friend's device has been connected
// since it was stored (online, answered, or read it); the server keeps no
// delivery cursor, so this is what the page can know.

import * as api from './api.js';
import { GROUP, PRIVATE, me, state } from './state.js';
import { el } from './view.js';
import { t } from './i18n.js';

function readCount(conv, msg) {
  if (conv.type === PRIVATE) return conv.peerRead >= msg.Id ? 1 : 0;
  let count = 0;
  for (const [userId, id] of conv.readers) {
    if (userId !== me.ID && id >= msg.Id && msg.Id > (conv.joins.get(userId) || 0)) count += 1;
  }
  return count;
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
  const node = el('span', {
    className: 'ticks', role: 'img', 'aria-label': words, title: msg.Id ? t('{state} · message {id}', { state: words, id: msg.Id }) : words,
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
