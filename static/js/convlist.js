// The conversation lists (friends, groups): rows with preview, time and
// unread count, the tab bar, and refreshing them from the server.

import * as api from './api.js';
import { noteDelivered, refreshTicks } from './receipts.js';
import { $ } from './dom.js';
import { EMOJI, GROUP, IMAGE, PRIVATE, RECALLED, TEXT, VOICE } from './constants.js';
import { me, reads, state } from './state.js';
import { merge, upsertConv } from './convs.js';
import { localUnread } from './catchup.js';
import { chatRowParts } from './hooks.js';
import { setUnreadTotal } from './unread.js';
import { avatar, el, isoTime, shortWhen } from './view.js';
import { callPreview } from './calltext.js';
import { formatDuration } from './voice.js';
import { shownName, userInfo } from './names.js';
import { t } from './i18n.js';

export function readListsFromPage() {
  for (const item of document.querySelectorAll('#friend-list [data-user-id]')) {
    const user = {
      ID: Number(item.dataset.userId), Name: item.dataset.name, Avatar: item.dataset.avatar || '',
      DisplayName: item.dataset.displayName || '',
      Online: item.dataset.online === '1',
    };
    state.users.set(user.ID, user);
    upsertConv(PRIVATE, user.ID, {
      name: shownName(user), handle: user.Name, avatar: user.Avatar, online: user.Online, friend: true,
    });
  }
  for (const item of document.querySelectorAll('#group-list [data-group-id]')) {
    upsertConv(GROUP, Number(item.dataset.groupId), {
      name: item.dataset.name, avatar: item.dataset.img || '', members: Number(item.dataset.members) || 0,
      desc: item.dataset.desc || '',
    });
  }
}

export async function refreshLists() {
  let friends;
  let groups;
  try {
    // chats: friends and the colleagues I have a private chat with (DIRECT_MESSAGES=members).
    [friends, groups] = await Promise.all([api.post('/searchFriends', { chats: true }), api.post('/contact/loadcommunity')]);
  } catch (err) {
    return;
  }
  const listed = new Set();
  for (const user of friends.Rows || []) {
    state.users.set(user.ID, user);
    const conv = upsertConv(PRIVATE, user.ID, {
      name: shownName(user), handle: user.Name, avatar: user.Avatar, online: !!user.Online, muted: !!user.Muted,
      mutedCompletely: !!user.MutedCompletely,
      friend: user.Relation === undefined || user.Relation === 'friend', relation: user.Relation || '',
    });
    conv.peerRead = Math.max(conv.peerRead, user.PeerReadId || 0);
    applyServerState(conv, user);
    if (conv.online && conv.last) noteDelivered(conv, conv.last.Id);
    listed.add(conv.key);
  }
  for (const grp of groups.Rows || []) {
    const conv = upsertConv(GROUP, grp.ID, {
      name: grp.Name, avatar: grp.Img, members: grp.Members, desc: grp.Desc, role: grp.Role || '', ownerId: grp.OwnerId,
      policy: grp.Policy, history: grp.History, whoMayAdd: grp.WhoMayAdd, muted: !!grp.Muted,
      whoMayMentionAll: grp.WhoMayMentionAll || 'admins', mutedCompletely: !!grp.MutedCompletely, // issue 28
      whoMayPin: grp.WhoMayPin, whoMayWrite: grp.WhoMayWrite, notice: grp.Notice, // issue 28: pins.js, announce.js
    });
    applyServerState(conv, grp);
    listed.add(conv.key);
  }
  // Removed friends, groups I left or was removed from, dissolved groups.
  // A chat opened from People before its first message stays while it is open.
  for (const [key, conv] of [...state.convs]) {
    if (listed.has(key) || (conv.draft && state.current === key && !conv.last)) continue;
    state.convs.delete(key);
    if (state.current === key) location.hash = '';
  }
  renderLists();
  // Names, members and presence may have changed: conversation.js draws the header again.
  document.dispatchEvent(new CustomEvent('ginchat:lists-refreshed'));
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
    // An answer made before messages that have arrived live since: their
    // counts stand (the server's Unread does not hold them yet).
    const read = reads.get(conv.key);
    let later = 0;
    for (const [id, msg] of conv.messages) {
      if (id > upTo && id > read && !msg.Recalled && state.counted.has(id)) later += 1;
    }
    // The open conversation counts what has not been on screen yet (catchup.js).
    conv.unread = state.current === conv.key && conv.loaded ? localUnread(conv) : (row.Unread || 0) + later;
  }
}

let refreshTimer = null;
export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshLists, 200);
}

// --- rows ------------------------------------------------------------------------
function previewText(conv) {
  const msg = conv.last;
  if (!msg) return conv.type === GROUP ? (conv.desc || t('No messages yet')) : t('No messages yet');
  let who = '';
  if (msg.UserId === me.ID) who = t('You: ');
  else if (conv.type === GROUP) who = t('{name}: ', { name: shownName(userInfo(msg.UserId)) });
  const what = {
    [TEXT]: () => (msg.Content || '').replace(/\s+/g, ' ').slice(0, 80),
    [EMOJI]: () => msg.Content || '',
    [VOICE]: () => `🎤 ${t('Voice clip ({duration})', { duration: formatDuration(msg.Amount || 0) })}`,
    [IMAGE]: () => `🖼 ${t('Picture')}`,
    5: () => `📎 ${(msg.File && msg.File.Name) || t('File')}`,
    7: () => callPreview(msg, me.ID), // a call's record (issue 29)
    6: () => `🗂 ${t('Chat record: {title}', { title: (msg.Record && msg.Record.Title) || '' })}`, // forwarded messages merged
    [RECALLED]: () => t('recalled a message'),
  }[msg.Recalled ? RECALLED : msg.Media];
  return who + (what ? what() : t('a message'));
}

// The most recent activity first; conversations without messages last, by name.
function sortConvs(list) {
  return list.sort((a, b) => ((b.last && b.last.Id) || 0) - ((a.last && a.last.Id) || 0) || a.name.localeCompare(b.name));
}

function groupMeta(conv) {
  return `#${conv.id} · ${t(conv.members === 1 ? '{n} member' : '{n} members', { n: conv.members })}`;
}

function face(conv) {
  const node = avatar({ name: conv.name, url: conv.avatar, id: conv.id, group: conv.type === GROUP });
  if (conv.type === PRIVATE) {
    const status = conv.online ? 'online' : 'offline';
    node.append(el('span', { className: `dot ${status}`, title: conv.online ? t('online') : t('offline') }));
  }
  return node;
}

function link(conv, label) {
  return el('a', {
    className: 'conv-link', href: `#${conv.key}`, 'aria-current': conv.key === state.current ? 'page' : null,
    'aria-label': label,
  });
}

// A row of the Chats list: name, last message, its time, the unread count.
function chatItem(conv) {
  const status = conv.type === PRIVATE ? (conv.online ? t('online') : t('offline')) : t('group');
  const row = link(conv, [conv.name, status, conv.unread ? t('{n} unread', { n: conv.unread }) : ''].filter(Boolean).join(t(', ')));
  const body = el('span', { className: 'body' }, el('span', { className: 'name', text: conv.name }),
    el('span', { className: 'preview', text: previewText(conv) }));
  const side = el('span', { className: 'side' });
  if (conv.last) side.append(el('time', { datetime: isoTime(conv.last.CreateTime), text: shortWhen(conv.last.CreateTime) }));
  if (conv.unread) {
    side.append(el('span', { className: 'badge', text: conv.unread > 99 ? '99+' : String(conv.unread), 'aria-hidden': 'true' }));
  }
  side.append(...chatRowParts(conv));
  row.append(face(conv), body, side);
  return el('li', { className: 'item', dataset: { conv: conv.key } }, row);
}

// A row of the Contacts or Groups view: who or what it is, not the chat.
function manageItem(conv) {
  const meta = conv.type === GROUP ? groupMeta(conv) : (conv.online ? t('online') : t('offline'));
  const row = link(conv, `${conv.name}${t(', ')}${meta}`);
  row.append(face(conv), el('span', { className: 'body' },
    el('span', { className: 'name', text: conv.name }), el('span', { className: 'meta', text: meta })));
  return el('li', { className: 'item', dataset: { conv: conv.key } }, row);
}

function renderList(listEl, items, emptyText) {
  const focused = document.activeElement && listEl.contains(document.activeElement)
    ? document.activeElement.getAttribute('href') : null;
  listEl.replaceChildren(...(items.length ? items : [el('li', { className: 'empty', text: emptyText })]));
  if (focused) {
    const again = listEl.querySelector(`a[href="${focused}"]`);
    if (again) again.focus();
  }
}

let listFrame = 0;
export function renderLists() {
  cancelAnimationFrame(listFrame);
  listFrame = 0;
  const all = sortConvs([...state.convs.values()]);
  const byName = (a, b) => a.name.localeCompare(b.name);
  const friends = all.filter((c) => c.type === PRIVATE && c.friend !== false).sort(byName);
  const chats = all.filter((c) => !c.draft || c.last || c.key === state.current);
  const groups = all.filter((c) => c.type === GROUP).sort(byName);
  renderList($('chat-list'), chats.map(chatItem), t('No chats yet: use New to message a person, or to create or join a group.'));
  renderList($('friend-list'), friends.map(manageItem), t('No contacts yet: add a friend above.'));
  renderList($('group-list'), groups.map(manageItem), t('No groups yet: create or join one below.'));
  $('friend-count').textContent = String(friends.length);
  $('group-count').textContent = String(groups.length);
  const total = all.reduce((n, c) => n + c.unread, 0);
  setBadge($('badge-chats'), total);
  setUnreadTotal(total);
}

export function scheduleListRender() {
  if (!listFrame) listFrame = requestAnimationFrame(renderLists);
}

export function setBadge(node, count, label = t('{n} unread', { n: count })) {
  node.hidden = !count;
  node.textContent = count > 99 ? '99+' : String(count);
  node.setAttribute('aria-label', label);
}

export function updateTitle() {
  setUnreadTotal([...state.convs.values()].reduce((n, c) => n + c.unread, 0));
}

// --- tabs --------------------------------------------------------------------------
let tabs = [];
export function selectTab(name, focus) {
  for (const tab of tabs) {
    const on = tab.dataset.tab === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).classList.toggle('active', on);
    if (on && focus) tab.focus();
  }
  document.dispatchEvent(new CustomEvent('ginchat:tab', { detail: name })); // the People tab loads on first sight
}

// Up and down arrows move between the rows of a list (links stay in the Tab order too).
function listKeys(listEl) {
  listEl.addEventListener('keydown', (event) => {
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (!step) return;
    const links = [...listEl.querySelectorAll('a.conv-link')];
    const at = links.indexOf(document.activeElement);
    if (at < 0) return;
    event.preventDefault();
    const next = links[Math.max(0, Math.min(links.length - 1, at + step))];
    next.focus();
  });
}

export function currentTab() {
  const on = tabs.find((tab) => tab.getAttribute('aria-selected') === 'true');
  return on ? on.dataset.tab : null;
}

export function initTabs() {
  for (const id of ['chat-list', 'friend-list', 'group-list']) listKeys($(id));
  tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => selectTab(tab.dataset.tab));
    tab.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      selectTab(next.dataset.tab, true);
    });
  }
}
