// The conversation lists (friends, groups): rows with preview, time and
// unread count, the tab bar, and refreshing them from the server.

import * as api from './api.js';
import { refreshTicks } from './messages.js';
import { renderHeader } from './conversation.js';
import {
  $, EMOJI, GROUP, IMAGE, PRIVATE, RECALLED, TEXT, VOICE, me, merge, reads, state, upsertConv, userInfo,
} from './state.js';
import { avatar, clock, el, isoTime } from './view.js';
import { shownName } from './names.js';
import { drawFaviconCount } from './notify.js';
import { formatDuration } from './voice.js';

export function readListsFromPage() {
  for (const item of document.querySelectorAll('#friend-list [data-user-id]')) {
    const user = {
      ID: Number(item.dataset.userId), Name: item.dataset.name, Avatar: item.dataset.avatar || '',
      DisplayName: item.dataset.displayName || '',
      Online: item.dataset.online === '1',
    };
    state.users.set(user.ID, user);
    upsertConv(PRIVATE, user.ID, { name: shownName(user), handle: user.Name, avatar: user.Avatar, online: user.Online });
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
    [friends, groups] = await Promise.all([api.post('/searchFriends'), api.post('/contact/loadcommunity')]);
  } catch (err) {
    return;
  }
  const listed = new Set();
  for (const user of friends.Rows || []) {
    state.users.set(user.ID, user);
    const conv = upsertConv(PRIVATE, user.ID, {
      name: shownName(user), handle: user.Name, avatar: user.Avatar, online: !!user.Online, muted: !!user.Muted,
    });
    conv.peerRead = Math.max(conv.peerRead, user.PeerReadId || 0);
    applyServerState(conv, user);
    listed.add(conv.key);
  }
  for (const grp of groups.Rows || []) {
    const conv = upsertConv(GROUP, grp.ID, {
      name: grp.Name, avatar: grp.Img, members: grp.Members, desc: grp.Desc, role: grp.Role || '', ownerId: grp.OwnerId,
      policy: grp.Policy, history: grp.History, whoMayAdd: grp.WhoMayAdd, muted: !!grp.Muted,
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
export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshLists, 200);
}

// --- rows ------------------------------------------------------------------------
function previewText(conv) {
  const msg = conv.last;
  if (!msg) return conv.type === GROUP ? (conv.desc || 'No messages yet') : 'No messages yet';
  let who = '';
  if (msg.UserId === me.ID) who = 'You: ';
  else if (conv.type === GROUP) who = `${shownName(userInfo(msg.UserId))}: `;
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
  if (conv.muted) side.append(el('span', { className: 'muted-mark', text: '🔕', title: 'Muted', 'aria-hidden': 'true' }));
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
    link.setAttribute('aria-label', `${conv.name}, ${status}${conv.unread ? `, ${conv.unread} unread` : ''}${conv.muted ? ', muted' : ''}`);
  } else if (conv.unread || conv.muted) {
    link.setAttribute('aria-label', `${conv.name}${conv.unread ? `, ${conv.unread} unread` : ''}${conv.muted ? ', muted' : ''}`);
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
export function renderLists() {
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

export function scheduleListRender() {
  if (!listFrame) listFrame = requestAnimationFrame(renderLists);
}

function setBadge(node, count) {
  node.hidden = !count;
  node.textContent = count > 99 ? '99+' : String(count);
  node.setAttribute('aria-label', `${count} unread`);
}

const baseTitle = document.title;
export function updateTitle() {
  const total = [...state.convs.values()].reduce((n, c) => n + c.unread, 0);
  document.title = document.hidden && total ? `(${total}) ${baseTitle}` : baseTitle;
  drawFaviconCount(total);
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
}

export function initTabs() {
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
