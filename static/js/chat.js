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
const SYNC_PAGE = 1000;
const SYNC_ROUNDS = 20; // at most this many pages of catch-up at start
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
const reads = new ReadState(me.ID);
let socket = null;

// --- conversations -------------------------------------------------------------
function convKey(type, id) {
  return (type === PRIVATE ? 'u' : 'g') + id;
}

// A conversation by type and id, created on first sight. `readUpTo`: where its
// read cursor starts if this browser has none (what came before counts as read).
function upsertConv(type, id, info, readUpTo) {
  const key = convKey(type, id);
  let conv = state.convs.get(key);
  if (!conv) {
    conv = {
      key, type, id, name: '', avatar: '', online: false, members: 0, desc: '',
      messages: new Map(), nodes: new Map(), loaded: false, loading: null, hasMore: true,
      loadingEarlier: false, unread: 0, last: null, stick: true, senders: new Set(),
    };
    state.convs.set(key, conv);
    if (!reads.has(key) && readUpTo !== undefined) reads.markRead(key, readUpTo);
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
  const startAt = state.ready ? state.lastId : undefined;
  for (const user of friends.Rows || []) {
    state.users.set(user.ID, user);
    upsertConv(PRIVATE, user.ID, { name: user.Name, avatar: user.Avatar, online: !!user.Online }, startAt);
  }
  for (const grp of groups.Rows || []) {
    upsertConv(GROUP, grp.ID, { name: grp.Name, avatar: grp.Img, members: grp.Members, desc: grp.Desc }, startAt);
  }
  renderLists();
  renderHeader();
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
  }[msg.Media];
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
  $('conv-sub').textContent = conv.type === GROUP
    ? `Group #${conv.id} · ${conv.members} member${conv.members === 1 ? '' : 's'}`
    : (conv.online ? 'online' : 'offline');
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
  if (mine) meta.append(statusNode(msg));
  bubble.append(meta);
  row.append(bubble);
  return row;
}

function statusNode(msg) {
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

function contentNode(conv, msg) {
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
  // Other Types (presence, typing, receipts...) come with later versions: ignored.
}

function handleMessage(msg) {
  const [type, otherId] = convOf(msg);
  if (!type || !otherId) return;
  let conv = state.convs.get(convKey(type, otherId));
  if (!conv) {
    conv = upsertConv(type, otherId, { name: type === GROUP ? `group ${otherId}` : userInfo(otherId).Name }, msg.Id - 1);
    scheduleRefresh();
  }
  if (msg.Id > state.lastId) {
    state.lastId = msg.Id;
    reads.setHorizon(msg.Id);
  }
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
  if (msg.UserId !== me.ID && msg.Id > reads.get(conv.key) && !state.counted.has(msg.Id)) {
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
    if ($('profile-password').value) fields.password = $('profile-password').value;
    const icon = await uploadFrom($('avatar-input'));
    if (icon) fields.icon = icon;
    const data = await api.post('/user/updateUser', fields);
    Object.assign(me, data.Data);
    state.users.set(me.ID, me);
    $('profile-password').value = '';
    $('avatar-input').value = '';
    renderMe();
    formStatus(form, 'Profile saved.', true);
  } catch (err) {
    formStatus(form, err.message, false);
  } finally {
    busy(form, false);
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
  return data.Msg && data.Msg !== 'ok' ? data.Msg : `${$('targetName').value.trim()} is now your friend.`;
});
ajaxForm('create-group-form', async () => {
  const icon = await uploadFrom($('group-icon'));
  const data = await api.post('/contact/createCommunity', {
    name: $('group-name').value.trim(), desc: $('group-desc').value.trim(), icon,
  });
  return `Group ${data.Data.Name} created (ID ${data.Data.ID}).`;
});
ajaxForm('join-group-form', async () => {
  await api.post('/contact/joinGroup', { comId: $('comId').value.trim() });
  return `You joined ${$('comId').value.trim()}.`;
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

// --- start: lists, previews, catch-up, then the live socket ---------------------
async function mapLimit(items, limit, fn) {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length) await fn(queue.shift());
  });
  await Promise.all(workers);
}

// The latest message of each conversation, for the list. On this browser's
// first visit, a page of them: the read cursor is then guessed from it.
async function loadPreviews(limit) {
  await mapLimit([...state.convs.values()], 4, async (conv) => {
    try {
      const data = await api.get('/message/history', { type: conv.type, targetId: conv.id, limit });
      merge(conv, data.Rows || []);
    } catch (err) {
      /* the list shows no preview */
    }
  });
}

// A browser that has never been here: what came before my own last message
// of a conversation was read (I answered it); failing that, the page loaded.
function guessRead(conv) {
  const ids = [...conv.messages.keys()];
  const mine = [...conv.messages.values()].filter((m) => m.UserId === me.ID).map((m) => m.Id);
  if (mine.length) return Math.max(...mine);
  return ids.length ? Math.min(...ids) - 1 : 0;
}

// Unread counts: every message above a conversation's read cursor. Only
// conversations with something unread (and any new since this browser's
// last visit) need the catch-up, from the lowest such cursor.
async function catchUp(firstVisit) {
  let since = firstVisit ? 0 : reads.horizon;
  for (const conv of state.convs.values()) {
    const latest = (conv.last && conv.last.Id) || 0;
    if (!reads.has(conv.key)) reads.markRead(conv.key, firstVisit ? guessRead(conv) : reads.horizon);
    if (firstVisit) since = Math.max(since, latest);
  }
  for (const conv of state.convs.values()) {
    const latest = (conv.last && conv.last.Id) || 0;
    if (latest > reads.get(conv.key)) since = Math.min(since, reads.get(conv.key));
  }
  state.lastId = since;
  for (let round = 0; round < SYNC_ROUNDS; round += 1) {
    const data = await api.get('/message/sync', { since: state.lastId, limit: SYNC_PAGE });
    const rows = data.Rows || [];
    for (const msg of rows) handleMessage(msg);
    if (rows.length < SYNC_PAGE) break;
  }
  reads.setHorizon(state.lastId);
}

async function start() {
  readListsFromPage();
  renderMe();
  renderLists();
  window.addEventListener('hashchange', route);
  route();
  const firstVisit = reads.horizon === null;
  await loadPreviews(firstVisit ? PAGE : 1);
  renderLists();
  try {
    await catchUp(firstVisit);
  } catch (err) {
    toast(`Could not catch up: ${err.message}`);
  }
  state.ready = true;
  renderLists();
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
