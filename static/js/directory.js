// People (issue 27): the directory of this server in its own tab, and the
// pickers built on it. GET /user/search with an empty q lists every active
// account by display name, a page at a time (more load as one scrolls); a
// text searches by name, display name or pinyin words. Each row says
// whether I may message them (MayMessage, the server's DIRECT_MESSAGES
// rule): "Message" opens the private chat in one click, otherwise the row
// offers to add them as a friend.

import * as api from './api.js';
import { refreshLists, selectTab } from './convlist.js';
import { registerFrameHandler } from './hooks.js';
import { $ } from './dom.js';
import { PRIVATE } from './constants.js';
import { state } from './state.js';
import { upsertConv } from './convs.js';
import { handleOf, shownName } from './names.js';
import { avatar, el, toast } from './view.js';
import { t } from './i18n.js';

const PAGE_SIZE = 30;
const presence = new Map(); // user id -> { online, at }: the presence frames heard
const DEBOUNCE_MS = 250;

// --- a paged list of people (the directory, or a search) --------------------------------
// A source keeps its rows and asks for the next page when told to.
export function peopleSource() {
  return { q: '', rows: [], total: 0, page: 0, seq: 0, loading: null };
}

export async function loadPage(source, reset) {
  if (reset) {
    source.seq += 1;
    source.rows = [];
    source.total = 0;
    source.page = 0;
    source.loading = null;
  }
  if (source.loading) return source.loading;
  if (source.page && source.rows.length >= source.total) return null;
  const seq = source.seq;
  const sentAt = performance.now();
  const params = { page: source.page + 1, size: PAGE_SIZE };
  if (source.q) params.q = source.q;
  source.loading = api.get('/user/search', params).then((data) => {
    if (seq !== source.seq) return;
    source.page += 1;
    source.total = data.Total || 0;
    for (const user of data.Rows || []) {
      // A presence frame that came while the page was on its way may be newer than it.
      const heard = presence.get(user.ID);
      if (heard && heard.at > sentAt) user.Online = heard.online;
      state.users.set(user.ID, { ...state.users.get(user.ID), ...user });
      source.rows.push(user);
    }
    if (!(data.Rows || []).length) source.total = source.rows.length; // nothing more to ask for
  }).finally(() => {
    if (seq === source.seq) source.loading = null;
  });
  return source.loading;
}

export function hasMore(source) {
  return !source.page || source.rows.length < source.total;
}

export function presenceDot(user) {
  const on = !!user.Online;
  return el('span', { className: `dot ${on ? 'online' : 'offline'}`, title: on ? t('online') : t('offline') });
}

export function personFace(user) {
  const face = avatar({ name: shownName(user), url: user.Avatar, id: user.ID });
  face.append(presenceDot(user));
  return face;
}

// --- opening a private chat -----------------------------------------------------------------
// One click: the conversation opens now, before any message (a "draft" chat
// that joins the Chats list with its first message).
export function openChatWith(user) {
  const known = state.convs.get(`u${user.ID}`);
  upsertConv(PRIVATE, user.ID, {
    name: shownName(user), handle: user.Name, avatar: user.Avatar || '', online: !!user.Online,
    friend: user.Relation === 'friend', relation: user.Relation || '', draft: known ? known.draft : true,
  });
  state.users.set(user.ID, { ...state.users.get(user.ID), ...user });
  location.hash = `#u${user.ID}`;
}

async function addFriend(user, button) {
  button.disabled = true;
  try {
    const res = await api.post('/contact/addfriend', { targetId: user.ID });
    if (res.Data && res.Data.FromId !== undefined) { // 202: a request went out
      user.Relation = 'requested';
      toast(t('Friend request sent to {name}: you can chat once they accept.', { name: shownName(user) }));
    } else {
      user.Relation = 'friend';
      user.MayMessage = true;
      toast(t('{name} is now your friend.', { name: shownName(user) }));
      await refreshLists();
    }
  } catch (err) {
    toast(err.message);
  }
  drawDirectory();
}

const OTHER_ACTIONS = {
  '': { label: t('Add friend'), aria: t('Add {name} as a friend'), enabled: true },
  asking: { label: t('Accept'), aria: t('Accept {name}'), enabled: true },
  requested: { label: t('Requested'), aria: t('Requested {name}'), enabled: false },
  blocked: { label: t('Blocked'), aria: t('Blocked {name}'), enabled: false },
  friend: { label: t('Add friend'), aria: t('Add {name} as a friend'), enabled: false },
};

function actionButton(user) {
  if (user.MayMessage) {
    return el('button', {
      type: 'button', className: 'dir-message', text: t('Message'),
      'aria-label': t('Message {name}', { name: shownName(user) }), onclick: () => openChatWith(user),
    });
  }
  const what = OTHER_ACTIONS[user.Relation] || OTHER_ACTIONS[''];
  const button = el('button', {
    type: 'button', className: 'secondary dir-add', text: what.label, disabled: !what.enabled,
    'aria-label': what.aria.replace('{name}', () => shownName(user)),
  });
  button.addEventListener('click', () => addFriend(user, button));
  return button;
}

function personRow(user) {
  const status = user.Online ? t('online') : t('offline');
  return el('li', { className: 'item found-item dir-item', dataset: { userId: user.ID } },
    personFace(user),
    el('span', { className: 'body' },
      el('span', { className: 'name', text: shownName(user) }),
      el('span', { className: 'meta', text: `${handleOf(user)} · ${status}` })),
    actionButton(user));
}

// --- the People tab -----------------------------------------------------------------------
const dir = peopleSource();
let dirTimer = null;
let dirStarted = false;

function drawDirectory() {
  const list = $('dir-list');
  if (!list) return;
  const focused = document.activeElement && list.contains(document.activeElement)
    ? document.activeElement.closest('[data-user-id]') : null;
  const again = focused && focused.dataset.userId;
  list.replaceChildren(...dir.rows.map(personRow));
  if (dir.page && !dir.rows.length) {
    list.append(el('li', {
      className: 'empty', text: dir.q ? t('Nobody found for “{q}”.', { q: dir.q }) : t('Nobody else is here yet.'),
    }));
  }
  if (again) {
    const button = list.querySelector(`[data-user-id="${again}"] button`);
    if (button) button.focus();
  }
  $('dir-more').hidden = !hasMore(dir) || !dir.page;
  const count = t(dir.total === 1 ? '{n} person' : '{n} people', { n: dir.total });
  $('dir-status').textContent = dir.page ? (dir.q ? t('{people} found.', { people: count }) : count) : t('Loading…');
}

async function more(reset) {
  try {
    await loadPage(dir, reset);
  } catch (err) {
    $('dir-status').textContent = err.message;
    return;
  }
  drawDirectory();
}

function startDirectory() {
  if (dirStarted) return;
  dirStarted = true;
  more(true);
}

export function openPeople(focusSearch) {
  selectTab('people');
  startDirectory();
  if (focusSearch) $('dir-q').focus();
}

// Presence (Type 12) moves the dots of the rows drawn.
function onPresence(frame) {
  presence.set(frame.UserId, { online: !!frame.Online, at: performance.now() });
  let changed = false;
  for (const user of dir.rows) {
    if (user.ID === frame.UserId && !!user.Online !== !!frame.Online) {
      user.Online = !!frame.Online;
      changed = true;
    }
  }
  if (changed) drawDirectory();
}

export function initDirectory() {
  const input = $('dir-q');
  input.addEventListener('input', () => {
    clearTimeout(dirTimer);
    dirTimer = setTimeout(() => {
      dir.q = input.value.trim();
      more(true);
    }, DEBOUNCE_MS);
  });
  $('dir-search').addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(dirTimer);
    dir.q = input.value.trim();
    more(true);
  });
  $('dir-more').addEventListener('click', () => more(false));
  // Infinite: the "More" button coming into view loads the next page.
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && !$('dir-more').hidden && !dir.loading) more(false);
  }, { root: $('tab-people') });
  observer.observe($('dir-more'));
  document.addEventListener('ginchat:tab', (event) => {
    if (event.detail === 'people') startDirectory();
  });
  // The quick switcher's person with no chat yet: open the chat where the
  // server says one may message them (no friend request on the way).
  document.addEventListener('ginchat:open-person', (event) => {
    const { user } = event.detail;
    if (!user || !user.MayMessage) return;
    event.preventDefault();
    openChatWith(user);
  });
  registerFrameHandler(12, onPresence);
}
