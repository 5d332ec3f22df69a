// The live parts of /toChat: lists with previews and unread counts, the
// conversation (history, bubbles, pictures, voice, emoji), sending with a
// visible state per message, and the WebSocket with resume-by-Id.

import * as api from './api.js';
import { onlyEmoji, setupEmojiPicker } from './emoji.js';
import { ReadState } from './readstate.js';
import { ChatSocket } from './socket.js';
import { avatar, clock, dayKey, dayLabel, el, fillAvatar, isoTime, safeUpload } from './view.js';
import { VoiceRecorder, formatDuration } from './voice.js';

document.documentElement.classList.add('js');

const PRIVATE = 1;
const GROUP = 2;
const TEXT = 1;
const EMOJI = 2;
const VOICE = 3;
const IMAGE = 4;
const PAGE = 30; // messages per history request
const RECALLED = 0; // Media of a recalled message (issue 9)
const RECALL_MS = 120000; // the server's RECALL_SECONDS: the Recall button shows this long
const TYPING_EVERY_MS = 3000; // at most one typing frame per friend this often
const TYPING_SHOWN_MS = 5000; // "typing…" stays this long after the last frame
const SEND_TIMEOUT_MS = 15000; // no acknowledgement within this: "failed, retry"
const POLL_MS = 20000; // friends' online dots and member counts

const $ = (id) => document.getElementById(id);
const root = $('app');
const me = {
  ID: Number(root.dataset.meId),
  Name: root.dataset.meName,
  Avatar: root.dataset.meAvatar || '',
  Phone: root.dataset.mePhone || '',
  Email: root.dataset.meEmail || '',
};
const maxUploadBytes = Number(root.dataset.maxUploadMb || 10) * 1024 * 1024;
const messagesEl = $('messages');
const input = $('msg-input');

const state = {
  convs: new Map(), // 'u7' (friend 7) or 'g9' (group 9) -> conversation
  users: new Map([[me.ID, me]]), // user id -> public user, for group senders
  lookups: new Map(), // user id -> pending /user/find
  pending: new Map(), // ClientMsgId -> a message of mine not yet acknowledged
  counted: new Set(), // message Ids already counted as unread
  lastId: 0, // the last Id of the complete stream (sync, then the socket)
  current: null, // the open conversation's key
  ready: false,
};
const reads = new ReadState({ send: (frame) => !!socket && socket.send(frame), post: api.post });
let socket = null;

// --- conversations -------------------------------------------------------------
function convKey(type, id) {
  return (type === PRIVATE ? 'u' : 'g') + id;
}

// A conversation by type and id, created on first sight.
function upsertConv(type, id, info) {
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
    };
    state.convs.set(key, conv);
  }
  Object.assign(conv, info);
  return conv;
}

function convOf(msg) {
  if (msg.Type === PRIVATE) return [PRIVATE, msg.UserId === me.ID ? msg.TargetId : msg.UserId];
  if (msg.Type === GROUP) return [GROUP, msg.TargetId];
  return [null, null];
}

function readListsFromPage() {
  for (const item of document.querySelectorAll('#friend-list [data-user-id]')) {
    const user = {
      ID: Number(item.dataset.userId), Name: item.dataset.name, Avatar: item.dataset.avatar || '',
      Online: item.dataset.online === '1',
    };
    state.users.set(user.ID, user);
    upsertConv(PRIVATE, user.ID, { name: user.Name, avatar: user.Avatar, online: user.Online });
  }
  for (const item of document.querySelectorAll('#group-list [data-group-id]')) {
    upsertConv(GROUP, Number(item.dataset.groupId), {
      name: item.dataset.name, avatar: item.dataset.img || '', members: Number(item.dataset.members) || 0,
      desc: item.dataset.desc || '',
    });
  }
}

async function refreshLists() {
  let friends;
  let groups;
  try {
    [friends, groups] = await Promise.all([api.post('/searchFriends'), api.post('/contact/loadcommunity')]);
  } catch (err) {
    return;
  }
  const listed = new Set();
  for (const user of friends.Rows || []) {
    state.users.set(user.ID, user);
    const conv = upsertConv(PRIVATE, user.ID, { name: user.Name, avatar: user.Avatar, online: !!user.Online });
    conv.peerRead = Math.max(conv.peerRead, user.PeerReadId || 0);
    applyServerState(conv, user);
    listed.add(conv.key);
  }
  for (const grp of groups.Rows || []) {
    const conv = upsertConv(GROUP, grp.ID, {
      name: grp.Name, avatar: grp.Img, members: grp.Members, desc: grp.Desc, role: grp.Role || '', ownerId: grp.OwnerId,
      policy: grp.Policy, history: grp.History, whoMayAdd: grp.WhoMayAdd,
    });
    applyServerState(conv, grp);
    listed.add(conv.key);
  }
  // Removed friends, groups I left or was removed from, dissolved groups.
  for (const key of [...state.convs.keys()]) {
    if (listed.has(key)) continue;
    state.convs.delete(key);
    if (state.current === key) location.hash = '';
  }
  renderLists();
  renderHeader();
  if (state.current) refreshTicks(state.convs.get(state.current));
}

// A list row's server-computed read state: Unread, LastMessage, ReadId.
function applyServerState(conv, row) {
  if (row.LastMessage) {
    merge(conv, [row.LastMessage]);
    if (!state.ready) state.lastId = Math.max(state.lastId, row.LastMessage.Id);
  }
  reads.learn(conv.key, row.ReadId || 0);
  const upTo = (row.LastMessage && row.LastMessage.Id) || 0;
  if (upTo >= conv.countedUpTo) {
    conv.countedUpTo = upTo;
    conv.unread = state.current === conv.key && !document.hidden ? 0 : (row.Unread || 0);
  }
}

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshLists, 200);
}

// --- users (names and avatars of group senders) ---------------------------
function userInfo(id) {
  const known = state.users.get(id);
  if (known) return known;
  if (!state.lookups.has(id)) {
    state.lookups.set(id, api.post('/user/find', { userId: id }).then((data) => {
      state.users.set(id, data.Data);
      for (const node of messagesEl.querySelectorAll(`[data-sender-id="${id}"]`)) {
        if (node.classList.contains('avatar')) {
          fillAvatar(node, { name: data.Data.Name, url: data.Data.Avatar, id });
        } else {
          node.textContent = data.Data.Name;
        }
      }
    }).catch(() => {}));
  }
  return { ID: id, Name: `user ${id}`, Avatar: '' };
}

// --- lists -----------------------------------------------------------------------
function previewText(conv) {
  const msg = conv.last;
  if (!msg) return conv.type === GROUP ? (conv.desc || 'No messages yet') : 'No messages yet';
  let who = '';
  if (msg.UserId === me.ID) who = 'You: ';
  else if (conv.type === GROUP) who = `${userInfo(msg.UserId).Name}: `;
  const what = {
    [TEXT]: () => (msg.Content || '').replace(/\s+/g, ' ').slice(0, 80),
    [EMOJI]: () => msg.Content || '',
    [VOICE]: () => `🎤 Voice clip (${formatDuration(msg.Amount || 0)})`,
    [IMAGE]: () => '🖼 Picture',
    [RECALLED]: () => 'recalled a message',
  }[msg.Recalled ? RECALLED : msg.Media];
  return who + (what ? what() : 'a message');
}

function sortConvs(list) {
  return list.sort((a, b) => ((b.last && b.last.Id) || 0) - ((a.last && a.last.Id) || 0) || a.name.localeCompare(b.name));
}

function listItem(conv) {
  const link = el('a', {
    className: 'conv-link', href: `#${conv.key}`, 'aria-current': conv.key === state.current ? 'page' : null,
  });
  const body = el('span', { className: 'body' }, el('span', { className: 'name', text: conv.name }));
  if (conv.type === GROUP) {
    body.append(el('span', {
      className: 'meta', text: `#${conv.id} · ${conv.members} member${conv.members === 1 ? '' : 's'}`,
    }));
  }
  body.append(el('span', { className: 'preview', text: previewText(conv) }));
  const side = el('span', { className: 'side' });
  if (conv.last) side.append(el('time', { datetime: isoTime(conv.last.CreateTime), text: clock(conv.last.CreateTime) }));
  if (conv.unread) {
    side.append(el('span', {
      className: 'badge', text: conv.unread > 99 ? '99+' : String(conv.unread), 'aria-label': `${conv.unread} unread`,
    }));
  }
  const face = avatar({ name: conv.name, url: conv.avatar, id: conv.id, group: conv.type === GROUP });
  if (conv.type === PRIVATE) {
    const status = conv.online ? 'online' : 'offline';
    face.append(el('span', { className: `dot ${status}`, title: status }));
    link.setAttribute('aria-label', `${conv.name}, ${status}${conv.unread ? `, ${conv.unread} unread` : ''}`);
  } else if (conv.unread) {
    link.setAttribute('aria-label', `${conv.name}, ${conv.unread} unread`);
  }
  link.append(face, body, side);
  return el('li', { className: 'item', dataset: { conv: conv.key } }, link);
}

function renderList(listEl, convs, emptyText) {
  const focused = document.activeElement && listEl.contains(document.activeElement)
    ? document.activeElement.getAttribute('href') : null;
  const items = convs.map(listItem);
  listEl.replaceChildren(...(items.length ? items : [el('li', { className: 'empty', text: emptyText })]));
  if (focused) {
    const again = listEl.querySelector(`a[href="${focused}"]`);
    if (again) again.focus();
  }
}

let listFrame = 0;
function renderLists() {
  cancelAnimationFrame(listFrame);
  listFrame = 0;
  const friends = sortConvs([...state.convs.values()].filter((c) => c.type === PRIVATE));
  const groups = sortConvs([...state.convs.values()].filter((c) => c.type === GROUP));
  renderList($('friend-list'), friends, 'No friends yet: add one in the Me tab.');
  renderList($('group-list'), groups, 'No groups yet: create or join one in the Me tab.');
  $('friend-count').textContent = String(friends.length);
  $('group-count').textContent = String(groups.length);
  setBadge($('badge-friends'), friends.reduce((n, c) => n + c.unread, 0));
  setBadge($('badge-groups'), groups.reduce((n, c) => n + c.unread, 0));
  updateTitle();
}

function scheduleListRender() {
  if (!listFrame) listFrame = requestAnimationFrame(renderLists);
}

function setBadge(node, count) {
  node.hidden = !count;
  node.textContent = count > 99 ? '99+' : String(count);
  node.setAttribute('aria-label', `${count} unread`);
}

const baseTitle = document.title;
function updateTitle() {
  const total = [...state.convs.values()].reduce((n, c) => n + c.unread, 0);
  document.title = document.hidden && total ? `(${total}) ${baseTitle}` : baseTitle;
}

// --- tabs --------------------------------------------------------------------------
const tabs = [...document.querySelectorAll('[role="tab"]')];
function selectTab(name, focus) {
  for (const tab of tabs) {
    const on = tab.dataset.tab === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).classList.toggle('active', on);
    if (on && focus) tab.focus();
  }
}
for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab.dataset.tab));
  tab.addEventListener('keydown', (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    selectTab(next.dataset.tab, true);
  });
}

// --- the open conversation -------------------------------------------------------
function route() {
  const conv = state.convs.get(location.hash.slice(1));
  if (conv) openConv(conv);
  else closeConv();
}

function renderHeader() {
  const conv = state.current && state.convs.get(state.current);
  if (!conv) return;
  fillAvatar($('conv-avatar'), { name: conv.name, url: conv.avatar, id: conv.id, group: conv.type === GROUP });
  $('conv-title').textContent = conv.name;
  let sub = conv.type === GROUP
    ? `Group #${conv.id} · ${conv.members} member${conv.members === 1 ? '' : 's'}`
    : (conv.online ? 'online' : 'offline');
  if (conv.type === PRIVATE && conv.typingUntil > Date.now()) sub = 'typing…';
  $('conv-sub').textContent = sub;
  $('conv-sub').dataset.typing = conv.typingUntil > Date.now() ? '1' : '';
  $('friend-tools').hidden = conv.type !== PRIVATE;
  $('group-tools').hidden = conv.type !== GROUP;
  $('group-owner-tools').hidden = conv.type !== GROUP || conv.role !== 'owner';
}

async function openConv(conv) {
  const switching = state.current !== conv.key;
  state.current = conv.key;
  root.classList.add('in-conv');
  $('conv').hidden = false;
  $('conv-empty').hidden = true;
  selectTab(conv.type === GROUP ? 'groups' : 'friends');
  renderHeader();
  renderLists();
  if (switching) {
    scheduleRefresh(); // fresh member counts and online dots for the header
    messagesEl.replaceChildren();
    conv.stick = true;
    renderMessages(conv, 'bottom');
    if (window.matchMedia('(pointer: fine)').matches) input.focus();
  }
  if (switching) {
    $('group-panel').hidden = true;
    loadReaders(conv);
  }
  if (!conv.loaded) await loadLatest(conv);
  markConvRead(conv);
}

function closeConv() {
  state.current = null;
  root.classList.remove('in-conv');
  $('conv').hidden = true;
  $('conv-empty').hidden = false;
  renderLists();
}

function merge(conv, rows) {
  for (const msg of rows) {
    if (!conv.messages.has(msg.Id)) conv.messages.set(msg.Id, msg);
    if (!conv.last || msg.Id > conv.last.Id) conv.last = msg;
  }
}

function loadLatest(conv) {
  if (!conv.loading) {
    conv.loading = api.get('/message/history', { type: conv.type, targetId: conv.id, limit: PAGE })
      .then((data) => {
        const rows = data.Rows || [];
        merge(conv, rows);
        conv.loaded = true;
        conv.hasMore = rows.length >= PAGE;
        renderMessages(conv, 'bottom');
      })
      .catch((err) => toast(`Could not load the history: ${err.message}`))
      .finally(() => { conv.loading = null; });
  }
  return conv.loading;
}

async function loadEarlier(conv) {
  if (!conv.loaded || !conv.hasMore || conv.loadingEarlier || !conv.messages.size) return;
  conv.loadingEarlier = true;
  renderMessages(conv, 'anchor');
  try {
    const before = Math.min(...conv.messages.keys());
    const data = await api.get('/message/history', { type: conv.type, targetId: conv.id, before, limit: PAGE });
    const rows = data.Rows || [];
    merge(conv, rows);
    conv.hasMore = rows.length >= PAGE;
  } catch (err) {
    toast(`Could not load earlier messages: ${err.message}`);
  } finally {
    conv.loadingEarlier = false;
  }
  renderMessages(conv, 'anchor');
}

function markConvRead(conv) {
  if (document.hidden || state.current !== conv.key) return;
  const top = Math.max((conv.last && conv.last.Id) || 0, ...conv.messages.keys());
  reads.markRead(conv.key, top);
  if (conv.unread) {
    conv.unread = 0;
    renderLists();
  }
}

// --- message bubbles ---------------------------------------------------------------
// `mode`: 'bottom' scrolls to the newest, 'anchor' keeps what is on screen
// still (older messages were added above), otherwise follow the newest only
// if the reader was already there.
function renderMessages(conv, mode) {
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

function messageNode(conv, msg) {
  const mine = msg.pending || msg.UserId === me.ID;
  const row = el('div', {
    className: `msg ${mine ? 'mine' : 'theirs'}`,
    dataset: { id: msg.Id || '', cmid: msg.ClientMsgId || '', media: msg.Media },
  });
  const bubble = el('div', { className: 'bubble' });
  if (conv.type === GROUP && !mine) {
    const sender = userInfo(msg.UserId);
    const face = avatar({ name: sender.Name, url: sender.Avatar, id: msg.UserId });
    face.dataset.senderId = msg.UserId;
    row.append(face);
    bubble.append(el('span', { className: 'sender', text: sender.Name, dataset: { senderId: msg.UserId } }));
  }
  bubble.append(contentNode(conv, msg));
  const meta = el('span', { className: 'meta' }, el('time', { datetime: isoTime(msg.CreateTime), text: clock(msg.CreateTime) }));
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

function recall(msg) {
  if (!socket || !socket.send({ Type: 13, Id: msg.Id })) {
    api.post('/message/recall', { id: msg.Id }).catch((err) => toast(err.message));
  }
}

function contentNode(conv, msg) {
  if (msg.Recalled || msg.Media === RECALLED) {
    return el('p', { className: 'text muted recalled', text: msg.UserId === me.ID ? 'You recalled a message' : 'This message was recalled' });
  }
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

function enlarge(src) {
  const box = $('lightbox');
  $('lightbox-img').src = src;
  if (typeof box.showModal === 'function') box.showModal();
  else window.open(src, '_blank', 'noopener');
}
$('lightbox').addEventListener('click', (event) => {
  if (event.target === $('lightbox')) $('lightbox').close();
});

messagesEl.addEventListener('scroll', () => {
  const conv = state.current && state.convs.get(state.current);
  if (!conv) return;
  conv.stick = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 60;
  if (messagesEl.scrollTop < 80) loadEarlier(conv);
});

// --- incoming frames -----------------------------------------------------------
function handleFrame(frame) {
  if (frame.Type === -1) {
    const mine = frame.ClientMsgId && state.pending.get(frame.ClientMsgId);
    if (mine) fail(mine, frame.Msg || `error ${frame.Code}`);
    else toast(frame.Msg || 'the server refused a frame');
    return;
  }
  if ((frame.Type === PRIVATE || frame.Type === GROUP) && Number.isInteger(frame.Id)) handleMessage(frame);
  else if (frame.Type === 10) handleRead(frame);
  else if (frame.Type === 11) handleTyping(frame);
  else if (frame.Type === 12) handlePresence(frame);
  else if (frame.Type === 13) handleRecall(frame);
  else if (frame.Type === 14) handleNotice(frame);
  // Other Types come with later versions: ignored.
}

// The conversation a read, recall or typing frame is about, from my side.
function convOfEvent(frame) {
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
  scheduleListRender();
  renderHeader();
}

function handleRecall(frame) {
  const conv = convOfEvent(frame);
  if (!conv) return;
  const old = conv.messages.get(frame.Id);
  const gone = {
    ...(old || { Id: frame.Id, UserId: frame.UserId, TargetId: frame.TargetId, Type: frame.ChatType, CreateTime: Date.now() }),
    Media: RECALLED, Content: '', Url: '', Amount: 0, Recalled: true,
  };
  if (old && state.counted.has(frame.Id) && frame.Id > reads.get(conv.key) && conv.unread) conv.unread -= 1;
  conv.messages.set(frame.Id, gone);
  conv.nodes.delete(frame.Id);
  if (conv.last && conv.last.Id === frame.Id) conv.last = gone;
  renderMessages(conv);
  scheduleListRender();
}

const NOTICES = {
  friend_request: (n) => `${userInfo(n.UserId).Name} wants to be your friend: see the Me tab.`,
  friend_added: () => '',
  friend_declined: () => '',
  friend_removed: () => '',
  member_removed: (n) => (n.UserId === me.ID ? 'You were removed from a group.' : ''),
  member_added: (n) => (n.UserId === me.ID ? `${userInfo(n.ActorId).Name} added you to a group.` : ''),
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

function refreshTicks(conv) {
  if (!conv || state.current !== conv.key) return;
  for (const [id, node] of conv.nodes) {
    const msg = conv.messages.get(id);
    const old = msg && msg.UserId === me.ID && node.querySelector('.receipt');
    if (old) old.replaceWith(receiptNode(conv, msg));
  }
}

async function loadReaders(conv) {
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

function handleMessage(msg) {
  const [type, otherId] = convOf(msg);
  if (!type || !otherId) return;
  let conv = state.convs.get(convKey(type, otherId));
  if (!conv) {
    conv = upsertConv(type, otherId, { name: type === GROUP ? `group ${otherId}` : userInfo(otherId).Name }, msg.Id - 1);
    scheduleRefresh();
  }
  if (msg.Id > state.lastId) state.lastId = msg.Id;
  let changed = !conv.messages.has(msg.Id); // false for a replay of what is here
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
  // Counted once per Id, whichever way it came (preview, sync, replay, live).
  if (msg.UserId !== me.ID && !msg.Recalled && msg.Id > reads.get(conv.key) && msg.Id > conv.countedUpTo
      && !state.counted.has(msg.Id)) {
    state.counted.add(msg.Id);
    conv.unread += 1;
    changed = true;
    if (type === PRIVATE && state.ready) conv.online = true;
  }
  if (!changed) return;
  if (state.current === conv.key) {
    renderMessages(conv);
    markConvRead(conv);
  }
  scheduleListRender();
}

// --- sending ---------------------------------------------------------------------
function newClientMsgId() {
  const random = Math.random().toString(36).slice(2, 10);
  return `c${me.ID}-${Date.now().toString(36)}-${random}`;
}

function queueOutgoing(conv, fields) {
  const msg = {
    pending: true, conv: conv.key, ClientMsgId: newClientMsgId(), UserId: me.ID, Type: conv.type,
    TargetId: conv.id, Media: TEXT, Content: '', Url: '', Amount: 0, CreateTime: Date.now(),
    status: 'sending', error: '', sentAt: 0, ...fields,
  };
  state.pending.set(msg.ClientMsgId, msg);
  return msg;
}

function frameOf(msg) {
  return {
    Type: msg.Type, TargetId: msg.TargetId, Media: msg.Media, Content: msg.Content, Url: msg.Url,
    Amount: msg.Amount, ClientMsgId: msg.ClientMsgId,
  };
}

// Sent now if the socket is open; otherwise on the next (re)connect.
function transmit(msg) {
  msg.status = 'sending';
  msg.error = '';
  msg.sentAt = Date.now();
  if (socket) socket.send(frameOf(msg));
  rerender(msg.conv);
}

function fail(msg, why) {
  msg.status = 'failed';
  msg.error = why;
  rerender(msg.conv);
}

function retry(msg) {
  if (msg.file && !msg.Url) upload(msg);
  else transmit(msg);
}

function rerender(key) {
  const conv = state.convs.get(key);
  if (conv) renderMessages(conv);
}

setInterval(() => {
  if (!socket || !socket.isOpen) return;
  const now = Date.now();
  for (const msg of state.pending.values()) {
    if (msg.status === 'sending' && msg.sentAt && now - msg.sentAt > SEND_TIMEOUT_MS) fail(msg, 'no answer from the server');
  }
}, 1000);

function currentConv() {
  return state.current && state.convs.get(state.current);
}

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const conv = currentConv();
  const text = input.value;
  if (!conv || !text.trim()) return;
  const msg = queueOutgoing(conv, { Media: onlyEmoji(text) ? EMOJI : TEXT, Content: text });
  input.value = '';
  autoGrow();
  conv.stick = true;
  transmit(msg);
});

input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $('composer').requestSubmit();
  }
});
function autoGrow() {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}
input.addEventListener('input', autoGrow);
input.addEventListener('input', () => {
  const conv = currentConv();
  if (!conv || conv.type !== PRIVATE || !input.value.trim()) return;
  const now = Date.now();
  if (now - (conv.typingSent || 0) < TYPING_EVERY_MS) return;
  conv.typingSent = now;
  if (socket) socket.send({ Type: 11, TargetId: conv.id });
});

async function upload(msg) {
  msg.status = 'uploading';
  msg.error = '';
  rerender(msg.conv);
  try {
    msg.Url = await api.upload(msg.file, msg.filename);
  } catch (err) {
    fail(msg, err.status === 501 ? 'uploads are not available on this server' : err.message);
    return;
  }
  transmit(msg);
}

function sendFile(conv, file, fields, filename) {
  if (file.size > maxUploadBytes) {
    toast(`${filename || file.name} is larger than ${Math.round(maxUploadBytes / 1048576)} MiB`);
    return;
  }
  const msg = queueOutgoing(conv, { ...fields, localUrl: URL.createObjectURL(file), file, filename, status: 'uploading' });
  conv.stick = true;
  upload(msg);
}

$('image-input').addEventListener('change', (event) => {
  const conv = currentConv();
  const files = [...event.target.files];
  event.target.value = '';
  if (!conv) return;
  for (const file of files) sendFile(conv, file, { Media: IMAGE }, file.name);
});

new VoiceRecorder($('voice-btn'), $('rec-status'), (blob, seconds, ext) => {
  const conv = currentConv();
  if (conv) sendFile(conv, blob, { Media: VOICE, Amount: seconds }, `voice.${ext}`);
});

setupEmojiPicker($('emoji-btn'), $('emoji-panel'), input);

// --- connection status -------------------------------------------------------------
let countdown = null;
function showConnection({ state: connState, retryAt }) {
  const box = $('conn-status');
  const text = $('conn-text');
  box.dataset.state = connState;
  $('conn-retry').hidden = connState !== 'waiting';
  clearInterval(countdown);
  if (connState === 'open') text.textContent = 'Connected';
  else if (connState === 'connecting') text.textContent = 'Connecting…';
  else if (connState === 'reconnecting') text.textContent = 'Reconnecting…';
  else if (connState === 'waiting') {
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      text.textContent = `Offline · retrying in ${seconds} s`;
    };
    tick();
    countdown = setInterval(tick, 1000);
  }
}

// --- Me tab: profile and the forms ----------------------------------------------
function formStatus(form, text, ok) {
  const line = form.querySelector('.form-status');
  line.textContent = text;
  line.classList.toggle('ok', !!ok);
  line.classList.toggle('error', !ok);
}

function busy(form, on) {
  for (const button of form.querySelectorAll('button')) button.disabled = on;
}

async function uploadFrom(fileInput) {
  const file = fileInput.files && fileInput.files[0];
  if (!file) return undefined;
  if (file.size > maxUploadBytes) throw new api.ApiError(413, `${file.name} is too large`);
  return api.upload(file, file.name);
}

function renderMe() {
  $('me').textContent = me.Name;
  fillAvatar($('profile-avatar'), { name: me.Name, url: me.Avatar, id: me.ID });
}

$('profile-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  busy(form, true);
  try {
    const fields = { phone: $('profile-phone').value.trim(), email: $('profile-email').value.trim() };
    const name = $('profile-name').value.trim();
    if (name && name !== me.Name) fields.name = name;
    if ($('profile-password').value) {
      if (!$('profile-old-password').value) throw new api.ApiError(400, 'Enter your current password to set a new one.');
      fields.password = $('profile-password').value;
      fields.oldPassword = $('profile-old-password').value;
    }
    const icon = await uploadFrom($('avatar-input'));
    if (icon) fields.icon = icon;
    const data = await api.post('/user/updateUser', fields);
    Object.assign(me, data.Data);
    state.users.set(me.ID, me);
    $('profile-password').value = '';
    $('profile-old-password').value = '';
    $('avatar-input').value = '';
    renderMe();
    formStatus(form, fields.password ? 'Password changed; your other sessions are logged out.' : 'Profile saved.', true);
  } catch (err) {
    formStatus(form, err.message, false);
  } finally {
    busy(form, false);
  }
});

$('logout-others').addEventListener('click', async () => {
  const box = $('sessions-box');
  busy(box, true);
  try {
    const ended = (await api.post('/user/logoutOthers')).Data.Ended;
    formStatus(box, `Logged out everywhere else (${ended} session${ended === 1 ? '' : 's'}).`, true);
  } catch (err) {
    formStatus(box, err.message, false);
  } finally {
    busy(box, false);
  }
});

function ajaxForm(id, action) {
  const form = $(id);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    busy(form, true);
    try {
      const done = await action(form);
      formStatus(form, done, true);
      form.reset();
      await refreshLists();
    } catch (err) {
      formStatus(form, err.message, false);
    } finally {
      busy(form, false);
    }
  });
}

ajaxForm('add-friend-form', async () => {
  const data = await api.post('/contact/addfriend', { targetName: $('targetName').value.trim() });
  loadRequests();
  return data.Msg && data.Msg !== 'ok' ? data.Msg : `${$('targetName').value.trim()} is now your friend.`;
});
ajaxForm('create-group-form', async () => {
  const icon = await uploadFrom($('group-icon'));
  const data = await api.post('/contact/createCommunity', {
    name: $('group-name').value.trim(), desc: $('group-desc').value.trim(), icon,
    policy: $('group-new-policy').value, history: $('group-new-history').value,
  });
  return `Group ${data.Data.Name} created (ID ${data.Data.ID}).`;
});
ajaxForm('join-group-form', async () => {
  await api.post('/contact/joinGroup', { comId: $('comId').value.trim() });
  return `You joined ${$('comId').value.trim()}.`;
});

// --- friend requests and blocks (Me tab) ---------------------------------------------
function miniButton(text, onclick, extra = {}) {
  return el('button', { type: 'button', text, onclick, ...extra });
}

async function loadRequests() {
  let requests;
  let blocked;
  try {
    [requests, blocked] = await Promise.all([api.post('/contact/friendRequests'), api.post('/contact/blocked')]);
  } catch (err) {
    return;
  }
  const items = (requests.Rows || []).map((req) => {
    const incoming = req.Direction === 'in';
    const other = incoming ? req.From : req.To;
    const item = el('li', { dataset: { requestId: req.ID } },
      avatar({ name: other.Name, url: other.Avatar, id: other.ID }),
      el('span', { className: 'name', text: incoming ? `${other.Name} asks to be your friend` : `Asked ${other.Name}` }));
    if (incoming) {
      item.append(
        miniButton('Accept', () => answerRequest(req, true), { 'aria-label': `Accept ${other.Name}` }),
        miniButton('Decline', () => answerRequest(req, false), { className: 'secondary', 'aria-label': `Decline ${other.Name}` }));
    }
    return item;
  });
  $('request-list').replaceChildren(...(items.length ? items : [el('li', { className: 'empty', text: 'No requests.' })]));
  const people = (blocked.Rows || []).map((user) => el('li', {},
    el('span', { className: 'name', text: user.Name }),
    miniButton('Unblock', () => act(() => api.post('/contact/unblock', { targetId: user.ID }), `${user.Name} is unblocked.`),
      { 'aria-label': `Unblock ${user.Name}` })));
  $('blocked-list').replaceChildren(...(people.length ? people : [el('li', { className: 'empty', text: 'Nobody.' })]));
}

async function act(call, done) {
  try {
    const data = await call();
    toast(done || data.Msg);
  } catch (err) {
    toast(err.message);
  }
  loadRequests();
  await refreshLists();
}

function answerRequest(req, accept) {
  const name = req.From.Name;
  act(() => api.post('/contact/answerRequest', { requestId: req.ID, accept }),
    accept ? `${name} is now your friend.` : `You declined ${name}.`);
}

// --- conversation tools: friends and groups ----------------------------------------------
$('remove-friend-btn').addEventListener('click', () => {
  const conv = currentConv();
  if (!conv || !window.confirm(`Remove ${conv.name} from your friends?`)) return;
  act(() => api.post('/contact/removeFriend', { targetId: conv.id }), `${conv.name} is no longer your friend.`);
});
$('block-btn').addEventListener('click', () => {
  const conv = currentConv();
  if (!conv || !window.confirm(`Block ${conv.name}? They will not be able to message you.`)) return;
  act(() => api.post('/contact/block', { targetId: conv.id }), `${conv.name} is blocked.`);
});
$('leave-btn').addEventListener('click', () => {
  const conv = currentConv();
  if (!conv || !window.confirm(`Leave ${conv.name}?`)) return;
  act(() => api.post('/contact/quitGroup', { comId: conv.id }));
});
$('members-btn').addEventListener('click', () => {
  const conv = currentConv();
  const panel = $('group-panel');
  panel.hidden = !panel.hidden;
  $('members-btn').setAttribute('aria-expanded', String(!panel.hidden));
  if (!panel.hidden && conv) {
    $('group-edit-name').value = conv.name;
    $('group-edit-desc').value = conv.desc || '';
    loadMembers(conv);
  }
});

async function loadMembers(conv) {
  let data;
  try {
    data = await api.post('/contact/groupMembers', { comId: conv.id });
  } catch (err) {
    toast(err.message);
    return;
  }
  const owner = conv.role === 'owner';
  const items = (data.Rows || []).map((user) => {
    state.users.set(user.ID, { ...state.users.get(user.ID), ...user });
    const item = el('li', { dataset: { userId: user.ID } },
      avatar({ name: user.Name, url: user.Avatar, id: user.ID }),
      el('span', { className: 'name', text: user.ID === me.ID ? `${user.Name} (you)` : user.Name }),
      el('span', { className: 'role', text: user.Role }));
    if (owner && user.ID !== me.ID) {
      const admin = user.Role === 'admin';
      item.append(
        miniButton(admin ? 'Revoke admin' : 'Make admin', () => {
          act(() => api.post('/contact/setAdmin', { comId: conv.id, userId: user.ID, admin: !admin }),
            `${user.Name} is ${admin ? 'a member' : 'an admin'} now.`).then(() => loadMembers(conv));
        }, { className: 'secondary', 'aria-label': `${admin ? 'Revoke admin of' : 'Make admin'} ${user.Name}` }),
        miniButton('Make owner', () => {
          if (window.confirm(`Hand ${conv.name} to ${user.Name}?`)) {
            act(() => api.post('/contact/transferGroup', { comId: conv.id, userId: user.ID })).then(() => loadMembers(conv));
          }
        }, { className: 'secondary', 'aria-label': `Make ${user.Name} the owner` }),
        miniButton('Remove', () => {
          if (window.confirm(`Remove ${user.Name} from ${conv.name}?`)) {
            act(() => api.post('/contact/removeMember', { comId: conv.id, userId: user.ID })).then(() => loadMembers(conv));
          }
        }, { className: 'danger', 'aria-label': `Remove ${user.Name}` }));
    }
    return item;
  });
  $('member-list').replaceChildren(...items);
  $('group-owner-tools').hidden = !owner;
  renderGroupSettings(conv, data.Rows || []);
}

// --- group settings (the owner's) and "Add people" (friends who are not members) ----------
function renderGroupSettings(conv, members) {
  const owner = conv.role === 'owner';
  $('group-settings').hidden = !owner;
  if (owner) {
    $('group-policy').value = conv.policy || 'open';
    $('group-history').value = conv.history || 'all';
    $('group-who-may-add').value = conv.whoMayAdd || 'members';
  }
  $('group-add').hidden = !(owner || conv.role === 'admin' || conv.whoMayAdd !== 'admins');
  const inGroup = new Set(members.map((user) => user.ID));
  const friends = [...state.convs.values()].filter((c) => c.type === PRIVATE && !inGroup.has(c.id));
  friends.sort((a, b) => a.name.localeCompare(b.name));
  const items = friends.map((friend) => el('li', { dataset: { userId: friend.id } },
    avatar({ name: friend.name, url: friend.avatar, id: friend.id }),
    el('span', { className: 'name', text: friend.name }),
    miniButton('Add', () => {
      act(() => api.post('/contact/addMember', { comId: conv.id, userId: friend.id }),
        `${friend.name} added to ${conv.name}.`).then(() => loadMembers(conv));
    }, { 'aria-label': `Add ${friend.name}` })));
  $('add-people-list').replaceChildren(
    ...(items.length ? items : [el('li', { className: 'empty', text: 'All your friends are members.' })]));
}

$('add-people-btn').addEventListener('click', () => {
  const list = $('add-people-list');
  list.hidden = !list.hidden;
  $('add-people-btn').setAttribute('aria-expanded', String(!list.hidden));
});

$('group-settings').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const conv = currentConv();
  if (!conv) return;
  busy(form, true);
  try {
    const data = await api.post('/contact/updateGroup', {
      comId: conv.id, policy: $('group-policy').value, history: $('group-history').value,
      whoMayAdd: $('group-who-may-add').value,
    });
    // Before the group_updated notice redraws the panel from these.
    Object.assign(conv, { policy: data.Data.Policy, history: data.Data.History, whoMayAdd: data.Data.WhoMayAdd });
    formStatus(form, 'Settings saved.', true);
    await refreshLists();
  } catch (err) {
    formStatus(form, err.message, false);
  } finally {
    busy(form, false);
  }
});

$('group-owner-tools').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const conv = currentConv();
  if (!conv) return;
  busy(form, true);
  try {
    const fields = { comId: conv.id, name: $('group-edit-name').value.trim(), desc: $('group-edit-desc').value.trim() };
    const icon = await uploadFrom($('group-edit-icon'));
    if (icon) fields.icon = icon;
    const data = await api.post('/contact/updateGroup', fields);
    $('group-edit-icon').value = '';
    formStatus(form, `Saved: ${data.Data.Name}.`, true);
    await refreshLists();
  } catch (err) {
    formStatus(form, err.message, false);
  } finally {
    busy(form, false);
  }
});

// --- small things ----------------------------------------------------------------------
let toastTimer = null;
function toast(text) {
  let box = $('toast');
  if (!box) {
    box = el('div', { id: 'toast', className: 'toast', role: 'alert' });
    document.body.append(box);
  }
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

window.addEventListener('ginchat:unauthorized', () => {
  location.href = `/?next=${encodeURIComponent('/toChat' + location.hash)}`;
});

document.addEventListener('visibilitychange', () => {
  const conv = currentConv();
  if (!document.hidden && conv) markConvRead(conv);
  updateTitle();
  if (!document.hidden) refreshLists();
});

reads.onChange = (key, id) => {
  const conv = state.convs.get(key);
  if (conv && conv.last && conv.last.Id <= id && conv.unread) {
    conv.unread = 0;
    scheduleListRender();
  }
};

// --- start: the lists (with the server's unread counts and last messages),
// then the live socket from the newest of those messages -------------------------
async function start() {
  readListsFromPage();
  renderMe();
  renderLists();
  window.addEventListener('hashchange', route);
  route();
  await refreshLists();
  state.ready = true;
  renderLists();
  loadRequests();
  const conv = currentConv();
  if (conv) renderMessages(conv);
  socket = new ChatSocket({ heartbeatSeconds: root.dataset.heartbeat, getSince: () => state.lastId });
  socket.addEventListener('state', (event) => {
    showConnection(event.detail);
    if (event.detail.state === 'waiting' && event.detail.attempt >= 3) {
      api.get('/message/sync', { since: state.lastId, limit: 1 }).catch(() => {}); // 401 -> log in again
    }
  });
  socket.addEventListener('frame', (event) => handleFrame(event.detail));
  socket.addEventListener('open', () => {
    refreshLists(); // presence and unread counts may have moved while the socket was down
    for (const msg of state.pending.values()) {
      if (msg.status === 'sending') transmit(msg);
    }
  });
  $('conn-retry').addEventListener('click', () => socket.retryNow());
  socket.start();
  setInterval(() => {
    if (!document.hidden) refreshLists();
  }, POLL_MS);
}

start();
