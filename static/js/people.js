// Finding people and groups (issue 15): a search box and the "New" menu at
// the top of the lists. As one types (debounced) it asks GET /user/search and
// GET /contact/searchGroups, a page at a time; picking a person opens the
// chat (when the server says one may message them: MayMessage), or adds
// them (or sends a request, as the server's FRIEND_ADD says); picking a group
// joins it. The "New" menu (issue 27) is the one way to start something:
// message a person (the People tab), create a group, join a group; the empty
// conversation pane opens the same menu.

import * as api from './api.js';
import { refreshLists, selectTab } from './convlist.js';
import { openChatWith, openPeople } from './directory.js';
import { $ } from './dom.js';
import { fullName, handleOf, shownName } from './names.js';
import { avatar, el, toast } from './view.js';
import { t } from './i18n.js';

const PAGE_SIZE = 10;
const DEBOUNCE_MS = 250;

const search = { q: '', seq: 0, timer: null, people: [], peopleTotal: 0, groups: [], groupsTotal: 0 };

function bar() {
  const input = el('input', {
    type: 'search', id: 'people-q', placeholder: t('Find people or groups'), autocomplete: 'off', maxlength: '64',
    'aria-controls': 'people-results', 'aria-describedby': 'people-status',
  });
  const form = el('form', { id: 'people-search', role: 'search', className: 'people-search' },
    el('label', { for: 'people-q', className: 'visually-hidden', text: t('Find people and groups') }), input);
  return el('div', { className: 'people-bar js-only', id: 'people-bar' }, form, newMenu());
}

// --- the New menu (a menu button: arrows move, Escape closes, focus returns) ----------
function newMenu() {
  const button = el('button', {
    type: 'button', id: 'new-chat-btn', className: 'new-chat', text: t('New'), 'aria-haspopup': 'menu',
    'aria-expanded': 'false', 'aria-controls': 'new-menu', title: t('Start a chat, create or join a group'),
  });
  const item = (id, text, run) => el('li', { role: 'none' },
    el('button', { type: 'button', role: 'menuitem', id, tabindex: '-1', text, onclick: () => { closeMenu(false); run(); } }));
  const menu = el('ul', { id: 'new-menu', className: 'new-menu', role: 'menu', 'aria-label': t('New'), hidden: true },
    item('new-message', t('Message a person'), () => {
      closeSearch();
      openPeople(true);
    }),
    item('new-group', t('Create a group'), () => goToForm('group-name')),
    item('new-join', t('Join a group'), () => goToForm('comId')));
  return el('div', { className: 'new-menu-wrap' }, button, menu);
}

function menuItems() {
  return [...$('new-menu').querySelectorAll('[role="menuitem"]')];
}

let opener = null; // focus goes back to what opened the menu

export function openMenu(at = 0, from = null) {
  opener = from;
  closeSearch();
  $('new-menu').hidden = false;
  $('new-chat-btn').setAttribute('aria-expanded', 'true');
  const items = menuItems();
  items[(at + items.length) % items.length].focus();
}

function closeMenu(refocus) {
  if ($('new-menu').hidden) return;
  $('new-menu').hidden = true;
  $('new-chat-btn').setAttribute('aria-expanded', 'false');
  if (refocus) (opener && opener.isConnected ? opener : $('new-chat-btn')).focus();
}

function goToForm(inputId) {
  closeSearch();
  selectTab('groups');
  const field = $(inputId);
  field.scrollIntoView({ block: 'center' });
  field.focus();
}

function initMenu() {
  const button = $('new-chat-btn');
  const menu = $('new-menu');
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    if (menu.hidden) openMenu(0);
    else closeMenu(true);
  });
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      openMenu(event.key === 'ArrowDown' ? 0 : -1);
    }
  });
  menu.addEventListener('keydown', (event) => {
    const items = menuItems();
    const at = items.indexOf(document.activeElement);
    const go = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
    if (go !== undefined) {
      event.preventDefault();
      items[(go + items.length) % items.length].focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      closeMenu(true);
    } else if (event.key === 'Tab') {
      closeMenu(false);
    }
  });
  document.addEventListener('click', (event) => {
    if (!menu.hidden && !menu.contains(event.target)) closeMenu(false);
  });
}

function panel() {
  return el('section', { id: 'people-results', className: 'people-results', hidden: true, 'aria-label': t('Search results') },
    el('p', { id: 'people-status', className: 'people-status', role: 'status', 'aria-live': 'polite' }),
    el('h3', { id: 'people-h', text: t('People'), hidden: true }),
    el('ul', { id: 'people-found', className: 'list found', 'aria-labelledby': 'people-h' }),
    el('button', { type: 'button', id: 'people-more', className: 'link', text: t('More people'), hidden: true }),
    el('h3', { id: 'groups-found-h', text: t('Groups you can join'), hidden: true }),
    el('ul', { id: 'groups-found', className: 'list found', 'aria-labelledby': 'groups-found-h' }),
    el('button', { type: 'button', id: 'groups-more', className: 'link', text: t('More groups'), hidden: true }),
    el('div', { className: 'people-hint', id: 'people-hint' },
      el('button', { type: 'button', className: 'link', id: 'people-new-group', text: t('Create a group') })),
    el('button', { type: 'button', className: 'link', id: 'people-close', text: t('Close the search') }));
}

function setStatus(text) {
  $('people-status').textContent = text;
}

function showPanel(on) {
  $('people-results').hidden = !on;
  $('sidebar').classList.toggle('searching', on);
}

// --- asking the server ---------------------------------------------------------------
async function fetchPage(kind, page) {
  const path = kind === 'people' ? '/user/search' : '/contact/searchGroups';
  return api.get(path, { q: search.q, page, size: PAGE_SIZE });
}

async function runSearch() {
  const seq = ++search.seq;
  const q = search.q;
  if (!q) {
    render();
    return;
  }
  setStatus(t('Searching…'));
  try {
    const [people, groups] = await Promise.all([fetchPage('people', 1), fetchPage('groups', 1)]);
    if (seq !== search.seq) return; // a newer search is under way
    search.people = people.Rows || [];
    search.peopleTotal = people.Total || 0;
    search.groups = groups.Rows || [];
    search.groupsTotal = groups.Total || 0;
    render();
  } catch (err) {
    if (seq === search.seq) setStatus(err.message);
  }
}

async function more(kind) {
  const seq = search.seq;
  const have = kind === 'people' ? search.people : search.groups;
  try {
    const data = await fetchPage(kind, Math.floor(have.length / PAGE_SIZE) + 1);
    if (seq !== search.seq) return;
    have.push(...(data.Rows || []));
    render();
  } catch (err) {
    setStatus(err.message);
  }
}

// --- drawing -------------------------------------------------------------------------
const ACTIONS = {
  friend: { label: t('Chat'), aria: t('Chat with {name}'), enabled: true },
  '': { label: t('Add friend'), aria: t('Add {name} as a friend'), enabled: true },
  asking: { label: t('Accept'), aria: t('Accept {name}'), enabled: true },
  requested: { label: t('Requested'), aria: t('Requested {name}'), enabled: false },
  blocked: { label: t('Blocked'), aria: t('Blocked {name}'), enabled: false },
};

function personItem(user) {
  const what = user.MayMessage ? ACTIONS.friend : (ACTIONS[user.Relation] || ACTIONS['']);
  const names = el('span', { className: 'body' },
    el('span', { className: 'name', text: shownName(user) }),
    el('span', { className: 'meta', text: handleOf(user) }));
  const button = el('button', {
    type: 'button', className: what === ACTIONS.friend ? 'secondary' : '', text: what.label, disabled: !what.enabled,
    'aria-label': what.aria.replace('{name}', () => fullName(user)), onclick: () => pickPerson(user, button),
  });
  return el('li', { className: 'item found-item', dataset: { userId: user.ID } },
    avatar({ name: shownName(user), url: user.Avatar, id: user.ID }), names, button);
}

function groupItem(group) {
  const button = el('button', {
    type: 'button', text: t('Join'), 'aria-label': t('Join {name}', { name: group.Name }), onclick: () => joinGroup(group, button),
  });
  const count = t(group.Members === 1 ? '{n} member' : '{n} members', { n: group.Members });
  return el('li', { className: 'item found-item', dataset: { groupId: group.ID } },
    avatar({ name: group.Name, url: group.Img, id: group.ID, group: true }),
    el('span', { className: 'body' }, el('span', { className: 'name', text: group.Name }),
      el('span', { className: 'meta', text: group.Desc ? `${count} · ${group.Desc}` : count })),
    button);
}

function render() {
  const searching = !!search.q;
  $('people-h').hidden = !searching;
  $('groups-found-h').hidden = !searching || !search.groups.length;
  $('people-hint').hidden = searching;
  $('people-found').replaceChildren(...(searching ? search.people.map(personItem) : []));
  if (searching && !search.people.length) {
    $('people-found').append(el('li', { className: 'empty', text: t('Nobody\'s name starts with “{q}”.', { q: search.q }) }));
  }
  $('groups-found').replaceChildren(...(searching ? search.groups.map(groupItem) : []));
  $('people-more').hidden = !searching || search.people.length >= search.peopleTotal;
  $('groups-more').hidden = !searching || search.groups.length >= search.groupsTotal;
  if (!searching) setStatus(t('Type the start of a name to find people, or of a group to join.'));
  else {
    const people = t(search.peopleTotal === 1 ? '{n} person' : '{n} people', { n: search.peopleTotal });
    const groups = t(search.groupsTotal === 1 ? '{n} group' : '{n} groups', { n: search.groupsTotal });
    setStatus(t('{people}, {groups} found.', { people, groups }));
  }
}

// --- picking -------------------------------------------------------------------------
export function closeSearch() {
  search.q = '';
  search.seq += 1;
  $('people-q').value = '';
  showPanel(false);
}

async function openChat(hash) {
  await refreshLists();
  closeSearch();
  location.hash = hash;
}

async function pickPerson(user, button) {
  if (user.MayMessage) {
    closeSearch();
    openChatWith(user);
    return;
  }
  button.disabled = true;
  try {
    const res = await api.post('/contact/addfriend', { targetId: user.ID });
    if (res.Data && res.Data.FromId !== undefined) { // 202: a request went out
      user.Relation = 'requested';
      toast(t('Friend request sent to {name}: you can chat once they accept.', { name: shownName(user) }));
      render();
      return;
    }
    toast(t('{name} is now your friend.', { name: shownName(user) }));
    await openChat(`#u${user.ID}`);
  } catch (err) {
    button.disabled = false;
    toast(err.message);
  }
}

async function joinGroup(group, button) {
  button.disabled = true;
  try {
    await api.post('/contact/joinGroup', { comId: group.ID });
    toast(t('You joined {name}.', { name: group.Name }));
    await openChat(`#g${group.ID}`);
  } catch (err) {
    button.disabled = false;
    toast(err.message);
  }
}

export function startNewChat() {
  showPanel(true);
  render();
  $('people-q').focus();
}

// The empty pane points at the one New menu.
function emptyPaneActions() {
  const pane = $('conv-empty');
  if (!pane) return;
  pane.replaceChildren(
    el('span', { className: 'empty-title', text: t('Pick a conversation, or start a new one.') }),
    el('span', { className: 'empty-actions' },
      el('button', {
        type: 'button', id: 'empty-new-chat', text: t('New…'), 'aria-haspopup': 'menu', 'aria-controls': 'new-menu',
        onclick: (event) => {
          event.stopPropagation();
          openMenu(0, event.currentTarget);
        },
      })));
}

// Contacts: friends are added from People (or a chat's header), not by typing a name.
function contactsHint() {
  const form = $('add-friend-form');
  if (!form) return;
  form.hidden = true;
  form.after(el('p', { className: 'card-form contacts-hint', id: 'contacts-hint' },
    el('span', { text: t('To add a friend, find them in People or open your chat with them.') }), ' ',
    el('button', { type: 'button', className: 'link', id: 'contacts-find-people', text: t('Open People'), onclick: () => openPeople(true) })));
}

export function initPeople() {
  contactsHint();
  const sidebar = $('sidebar');
  sidebar.prepend(bar(), panel());
  const input = $('people-q');
  input.addEventListener('input', () => {
    search.q = input.value.trim();
    clearTimeout(search.timer);
    showPanel(true);
    if (!search.q) {
      search.seq += 1;
      render();
      return;
    }
    search.timer = setTimeout(runSearch, DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      closeSearch();
      input.blur();
    }
  });
  $('people-search').addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(search.timer);
    runSearch();
  });
  initMenu();
  $('people-close').addEventListener('click', () => {
    closeSearch();
    input.focus();
  });
  $('people-more').addEventListener('click', () => more('people'));
  $('groups-more').addEventListener('click', () => more('groups'));
  $('people-new-group').addEventListener('click', () => {
    closeSearch();
    window.dispatchEvent(new CustomEvent('ginchat:settings', { detail: 'groups' }));
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !$('people-results').hidden && !document.querySelector('dialog[open]')) closeSearch();
  });
  emptyPaneActions();
}
