// What arrives on the WebSocket: messages, read cursors, typing, presence,
// recalls and friend/group notices (docs/PROTOCOL.md), and the hooks'
// handlers for other frame Types.

import { markSeen } from './catchup.js';
import { renderHeader } from './conversation.js';
import { scheduleListRender, scheduleRefresh } from './convlist.js';
import { fail } from './composer.js';
import { loadMembers } from './grouppanel.js';
import { runFrameHandlers } from './hooks.js';
import { announce } from './keys.js';
import { loadRequests } from './me.js';
import { shownName, userInfo } from './names.js';
import { renderMessages } from './messages.js';
import { loadReaders, noteDelivered, refreshTicks } from './receipts.js';
import { $ } from './dom.js';
import { GROUP, PRIVATE, RECALLED, TYPING_SHOWN_MS } from './constants.js';
import { convKey, convOf, merge, upsertConv } from './convs.js';
import { me, reads, state } from './state.js';
import { toast } from './view.js';
import { t } from './i18n.js';

export function handleFrame(frame) {
  if (frame.Type === -1) {
    const mine = frame.ClientMsgId && state.pending.get(frame.ClientMsgId);
    if (mine) fail(mine, frame.Msg || t('error {code}', { code: frame.Code }), frame.Code);
    else toast(frame.Msg || t('the server refused a frame'));
    return;
  }
  if ((frame.Type === PRIVATE || frame.Type === GROUP) && Number.isInteger(frame.Id)) handleMessage(frame);
  else if (frame.Type === 10) handleRead(frame);
  else if (frame.Type === 11) handleTyping(frame);
  else if (frame.Type === 12) handlePresence(frame);
  else if (frame.Type === 13) handleRecall(frame);
  else if (frame.Type === 14) handleNotice(frame);
  // Other Types come with later versions: ignored unless a feature registered for them.
  runFrameHandlers(frame);
}

// The conversation a read, recall or typing frame is about, from my side.
export function convOfEvent(frame) {
  if (frame.ChatType === GROUP) return state.convs.get(convKey(GROUP, frame.TargetId));
  const other = frame.UserId === me.ID ? frame.TargetId : frame.UserId;
  return state.convs.get(convKey(PRIVATE, other));
}

function handleRead(frame) {
  const conv = convOfEvent(frame);
  if (!conv) return;
  if (frame.UserId === me.ID) {
    reads.learn(conv.key, frame.Id); // another device of mine read it
    return;
  }
  if (conv.type === PRIVATE) conv.peerRead = Math.max(conv.peerRead, frame.Id);
  else conv.readers.set(frame.UserId, Math.max(conv.readers.get(frame.UserId) || 0, frame.Id));
  refreshTicks(conv);
}

function handleTyping(frame) {
  const conv = state.convs.get(convKey(PRIVATE, frame.UserId));
  if (!conv) return;
  conv.typingUntil = Date.now() + TYPING_SHOWN_MS;
  renderHeader();
  setTimeout(renderHeader, TYPING_SHOWN_MS + 50);
}

function handlePresence(frame) {
  const conv = state.convs.get(convKey(PRIVATE, frame.UserId));
  if (!conv) return;
  conv.online = !!frame.Online;
  if (conv.online) noteDelivered(conv, state.lastId); // a connecting device gets what it missed
  scheduleListRender();
  renderHeader();
}

function handleRecall(frame) {
  const conv = convOfEvent(frame);
  if (!conv) return;
  const old = conv.messages.get(frame.Id);
  // Not here: a thread's own reply (threads.js follows it), or history not
  // loaded, which will come recalled. Only the list's last line may show it.
  if (!old) {
    if (conv.last && conv.last.Id === frame.Id) {
      conv.last = { ...conv.last, Media: RECALLED, Content: '', Url: '', Amount: 0, Recalled: true };
      scheduleListRender();
    }
    return;
  }
  const gone = {
    ...old,
    Media: RECALLED, Content: '', Url: '', Amount: 0, Recalled: true,
  };
  if (state.counted.has(frame.Id) && frame.Id > reads.get(conv.key) && conv.unread) conv.unread -= 1;
  conv.messages.set(frame.Id, gone);
  conv.nodes.delete(frame.Id);
  if (conv.last && conv.last.Id === frame.Id) conv.last = gone;
  renderMessages(conv);
  scheduleListRender();
}

const NOTICES = {
  friend_request: (n) => t('{name} wants to be your friend: see Contacts.', { name: shownName(n.User || userInfo(n.UserId)) }),
  friend_added: (n) => (n.ActorId !== me.ID && n.User ? t('{name} added you as a friend.', { name: shownName(n.User) }) : ''),
  friend_declined: () => '',
  friend_removed: () => '',
  member_removed: (n) => (n.UserId === me.ID ? t('You were removed from a group.') : ''),
  member_added: (n) => (n.UserId === me.ID ? t('{name} added you to a group.', { name: shownName(userInfo(n.ActorId)) }) : ''),
  group_dissolved: () => '',
};

function handleNotice(notice) {
  const text = (NOTICES[notice.Event] || (() => ''))(notice);
  if (text) toast(text);
  if (notice.Event.startsWith('friend_')) loadRequests();
  scheduleRefresh();
  const conv = state.current && state.convs.get(state.current);
  if (conv && conv.type === GROUP && conv.id === notice.GroupId && !$('group-panel').hidden) loadMembers(conv);
  if (conv && conv.type === GROUP && conv.id === notice.GroupId && notice.Event.startsWith('member_')) loadReaders(conv);
}

function handleMessage(msg) {
  const [type, otherId] = convOf(msg);
  if (!type || !otherId) return;
  let conv = state.convs.get(convKey(type, otherId));
  if (!conv) {
    conv = upsertConv(type, otherId, { name: type === GROUP ? `group ${otherId}` : shownName(userInfo(otherId)) }, msg.Id - 1);
    scheduleRefresh();
  }
  if (msg.Id > state.lastId) state.lastId = msg.Id;
  if (msg.RootId && !msg.AlsoInChat) return; // a thread's own reply: threads.js (a frame handler) takes it
  let changed = !conv.messages.has(msg.Id); // false for a replay of what is here
  const fresh = changed;
  if (msg.UserId === me.ID && msg.ClientMsgId && state.pending.has(msg.ClientMsgId)) {
    const sent = state.pending.get(msg.ClientMsgId);
    state.pending.delete(msg.ClientMsgId);
    if (sent.localUrl) setTimeout(() => URL.revokeObjectURL(sent.localUrl), 60000);
    changed = true;
  }
  if (type === GROUP && state.ready && !conv.senders.has(msg.UserId)) {
    conv.senders.add(msg.UserId);
    if (!state.users.has(msg.UserId)) scheduleRefresh(); // a new member: the count changed
  }
  merge(conv, [msg]);
  // Their message is what they were typing: the "typing…" line goes at once.
  if (type === PRIVATE && msg.UserId !== me.ID && conv.typingUntil) {
    conv.typingUntil = 0;
    renderHeader();
  }
  // The friend wrote after it, or is online as it is stored: it reached them.
  if (type === PRIVATE && (msg.UserId !== me.ID || conv.online)) noteDelivered(conv, msg.Id);
  // Counted once per Id, whichever way it came (preview, sync, replay, live).
  if (msg.UserId !== me.ID && !msg.Recalled && msg.Id > reads.get(conv.key) && msg.Id > conv.countedUpTo
      && !state.counted.has(msg.Id)) {
    state.counted.add(msg.Id);
    conv.unread += 1;
    changed = true;
    if (type === PRIVATE && state.ready) conv.online = true;
  }
  if (!changed) return;
  if (fresh) announce(conv, msg);
  if (state.current === conv.key) {
    renderMessages(conv); // read once it is on screen (catchup.js)
    markSeen();
  }
  scheduleListRender();
}
