// The conversations (state.convs): their keys, each created on first sight,
// the one a message belongs to, the open one, and merging history into one.
// Data only: drawing them is convlist.js's and conversation.js's.

import { GROUP, PRIVATE } from './constants.js';
import { me, state } from './state.js';

export function convKey(type, id) {
  return (type === PRIVATE ? 'u' : 'g') + id;
}

// A conversation by type and id, created on first sight.
export function upsertConv(type, id, info) {
  const key = convKey(type, id);
  let conv = state.convs.get(key);
  if (!conv) {
    conv = {
      key, type, id, name: '', avatar: '', online: false, members: 0, desc: '',
      messages: new Map(), nodes: new Map(), loaded: false, loading: null, hasMore: true,
      loadingEarlier: false, unread: 0, last: null, stick: true, senders: new Set(),
      // Issue 9: the friend's read cursor (ticks), group members' cursors
      // ("read by N"), the last Id the server's Unread covered, typing.
      peerRead: 0, readers: new Map(), countedUpTo: 0, typingUntil: 0, role: '', ownerId: 0,
      // Issue 13: group members' join points (a reader of m joined before m), the settings.
      joins: new Map(), policy: '', history: '', whoMayAdd: '',
      // Issue 15: the last Id known to have reached the friend's device (ticks).
      delivered: 0,
    };
    state.convs.set(key, conv);
  }
  Object.assign(conv, info);
  return conv;
}

export function convOf(msg) {
  if (msg.Type === PRIVATE) return [PRIVATE, msg.UserId === me.ID ? msg.TargetId : msg.UserId];
  if (msg.Type === GROUP) return [GROUP, msg.TargetId];
  return [null, null];
}

export function currentConv() {
  return state.current && state.convs.get(state.current);
}

export function merge(conv, rows) {
  for (const msg of rows) {
    if (msg.RootId && !msg.AlsoInChat) continue; // a thread's own reply: its root's line shows it (threads.js)
    if (!conv.messages.has(msg.Id)) conv.messages.set(msg.Id, msg);
    if (!conv.last || msg.Id > conv.last.Id) conv.last = msg;
  }
}
