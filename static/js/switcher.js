// The quick switcher (issue 27): Ctrl+K (⌘K on a Mac) anywhere, or "/" when
// the focus is not in a text field, opens a dialog with one combobox. Typing
// filters the chats and groups this page knows by name, display name and
// @handle at once, and asks the server's people search (GET /user/search:
// names, display names, any part of a CJK name, a Chinese name's pinyin)
// for everyone else, debounced. Up and Down move, Enter (or a click) opens
// the conversation, Escape closes and gives the focus back to where it was.
//
// A person with no chat here yet is handed to whoever handles the cancelable
// "ginchat:open-person" event (detail: { user }); when nobody does, the way
// the people search opens a chat is taken (POST /contact/addfriend: friends
// at once, or a request under FRIEND_ADD=request).

import * as api from './api.js';
import { refreshLists } from './convlist.js';
import { composing } from './keys.js';
import { handleOf, shownName } from './names.js';
import { GROUP } from './constants.js';
import { state } from './state.js';
import { avatar, el, toast } from './view.js';
import { t } from './i18n.js';

const MAX_LOCAL = 8; // chats and groups shown at most
const MAX_PEOPLE = 8; // people from the server shown at most
const DEBOUNCE_MS = 200;

let dialog = null;
let combo = null;
let list = null;
let status = null;
let opener = null; // what had the focus before the switcher opened
const found = { q: '', seq: 0, timer: null, people: [] };
let entries = []; // what the list shows: { key, name, detail, kind, conv?, user? }
let active = 0;

function fold(text) {
  return String(text || '').normalize('NFKC').toLowerCase().trim();
}

// 0: a name starts with q, 1: a word of it does, 2: it holds q anywhere; -1: no match.
function rank(names, q) {
  if (!q) return 0;
  let best = -1;
  for (const name of names) {
    if (name.startsWith(q)) return 0;
    if (name.split(/[\s._-]+/).some((word) => word.startsWith(q))) best = 1;
    else if (best < 0 && name.includes(q)) best = 2;
  }
  return best;
}

function localEntries(q) {
  const rows = [];
  for (const conv of state.convs.values()) {
    const r = rank([conv.name, conv.handle].filter(Boolean).map(fold), q);
    if (r >= 0) rows.push({ r, conv });
  }
  rows.sort((a, b) => a.r - b.r || ((b.conv.last && b.conv.last.Id) || 0) - ((a.conv.last && a.conv.last.Id) || 0)
    || a.conv.name.localeCompare(b.conv.name));
  return rows.slice(0, MAX_LOCAL).map(({ conv }) => entryOfConv(conv));
}

function entryOfConv(conv) {
  const group = conv.type === GROUP;
  return {
    key: conv.key, name: conv.name, conv, kind: group ? 'group' : 'chat',
    detail: group ? t('Group') : (conv.handle && conv.handle !== conv.name ? `@${conv.handle}` : t('Private chat')),
  };
}

function rebuild() {
  const keep = entries[active] && entries[active].key;
  entries = localEntries(found.q);
  const have = new Set(entries.map((e) => e.key));
  for (const user of found.people.slice(0, MAX_PEOPLE)) {
    const key = `u${user.ID}`;
    if (have.has(key) || user.Relation === 'blocked') continue; // blocked by me: no chat to open
    have.add(key);
    const conv = state.convs.get(key);
    entries.push(conv ? { ...entryOfConv(conv), detail: handleOf(user) }
      : { key, name: shownName(user), detail: handleOf(user), kind: 'person', user });
  }
  const again = entries.findIndex((e) => e.key === keep);
  active = again >= 0 ? again : 0;
  render();
}

function render() {
  list.replaceChildren(...entries.map((entry, i) => {
    const face = entry.conv
      ? avatar({ name: entry.conv.name, url: entry.conv.avatar, id: entry.conv.id, group: entry.kind === 'group' })
      : avatar({ name: entry.name, url: entry.user.Avatar, id: entry.user.ID });
    return el('li', {
      role: 'option', id: `switcher-opt-${i}`, className: `switcher-option ${entry.kind}`,
      'aria-selected': String(i === active), dataset: { key: entry.key },
      onmousedown: (event) => event.preventDefault(), // the combobox keeps the focus
      onclick: () => choose(entry),
    }, face, el('span', { className: 'switcher-name', text: entry.name }),
    el('span', { className: 'switcher-detail', text: entry.detail }));
  }));
  const any = entries.length > 0;
  combo.setAttribute('aria-expanded', String(any));
  if (any) combo.setAttribute('aria-activedescendant', `switcher-opt-${active}`);
  else combo.removeAttribute('aria-activedescendant');
  const searching = found.timer !== null || found.pending;
  let line = '';
  if (!any && searching) line = t('Searching…');
  else if (!any && found.q) line = t('No chat, group or person matches “{q}”.', { q: found.q });
  else if (!any) line = t('No chats yet: type a name to find people.');
  status.textContent = line;
  status.classList.toggle('switcher-empty', !any && !searching);
  const chosen = list.children[active];
  if (chosen) chosen.scrollIntoView({ block: 'nearest' });
}

async function searchPeople() {
  found.timer = null;
  const seq = ++found.seq;
  const q = found.q;
  found.pending = true;
  try {
    const data = await api.get('/user/search', { q, size: MAX_PEOPLE });
    if (seq !== found.seq) return;
    found.people = data.Rows || [];
  } catch (err) {
    if (seq !== found.seq) return;
    found.people = []; // too many searches, a lost connection: the local matches stay
  }
  found.pending = false;
  rebuild();
}

function onInput() {
  entries = [];
  active = 0; // new text: its first match is the one Enter opens
  found.q = fold(combo.value);
  found.seq += 1; // an answer to an earlier text is not shown
  found.pending = false;
  found.people = [];
  clearTimeout(found.timer);
  found.timer = found.q ? setTimeout(searchPeople, DEBOUNCE_MS) : null;
  rebuild();
}

function move(to) {
  if (!entries.length) return;
  active = (to + entries.length) % entries.length;
  for (const [i, node] of [...list.children].entries()) node.setAttribute('aria-selected', String(i === active));
  combo.setAttribute('aria-activedescendant', `switcher-opt-${active}`);
  list.children[active].scrollIntoView({ block: 'nearest' });
}

function go(key) {
  if (location.hash !== `#${key}`) location.hash = key;
}

async function openPerson(user) {
  const asked = new CustomEvent('ginchat:open-person', { detail: { user }, cancelable: true });
  if (!document.dispatchEvent(asked)) return; // another module opened it
  try {
    const res = await api.post('/contact/addfriend', { targetId: user.ID });
    if (res.Data && res.Data.FromId !== undefined) { // 202: a request went out
      toast(t('Friend request sent to {name}: you can chat once they accept.', { name: shownName(user) }));
      return;
    }
    await refreshLists();
    go(`u${user.ID}`);
  } catch (err) {
    toast(err.message);
  }
}

function choose(entry) {
  close(false);
  if (entry.conv || state.convs.has(entry.key)) go(entry.key);
  else openPerson(entry.user);
}

export function switcherOpen() {
  return !!dialog && dialog.open;
}

export function openSwitcher() {
  if (switcherOpen()) return;
  opener = document.activeElement;
  combo.value = '';
  onInput();
  dialog.showModal();
  combo.focus();
}

// `refocus`: give the focus back to what had it (Escape); after a choice the
// opened conversation takes it.
function close(refocus = true) {
  if (!switcherOpen()) return;
  clearTimeout(found.timer);
  found.timer = null;
  found.seq += 1;
  dialog.close();
  if (refocus && opener && opener.isConnected && opener !== document.body) opener.focus();
  opener = null;
}

function inTextField(node) {
  if (!node || !(node instanceof Element)) return false;
  if (node.isContentEditable) return true;
  if (node.tagName === 'TEXTAREA' || node.tagName === 'SELECT') return true;
  if (node.tagName !== 'INPUT') return false;
  return !['button', 'checkbox', 'radio', 'submit', 'reset', 'file', 'image', 'range', 'color'].includes(node.type);
}

function build() {
  combo = el('input', {
    type: 'text', id: 'switcher-q', role: 'combobox', autocomplete: 'off', spellcheck: 'false', maxlength: '64',
    'aria-label': t('Go to a conversation'), 'aria-autocomplete': 'list', 'aria-controls': 'switcher-list',
    'aria-expanded': 'false', 'aria-describedby': 'switcher-hint', placeholder: t('Type a name: people, groups and chats'),
    enterkeyhint: 'go',
  });
  list = el('ul', { id: 'switcher-list', role: 'listbox', className: 'switcher-list', 'aria-label': t('Conversations') });
  status = el('p', { id: 'switcher-status', className: 'switcher-status', role: 'status', 'aria-live': 'polite' });
  dialog = el('dialog', { id: 'switcher', className: 'switcher', 'aria-label': t('Go to a conversation') },
    combo, list, status,
    el('p', { id: 'switcher-hint', className: 'switcher-hint', text: t('↑ ↓ to move, Enter to open, Esc to close') }));
  document.body.append(dialog);

  combo.addEventListener('input', onInput);
  combo.addEventListener('keydown', (event) => {
    if (composing(event)) return;
    const moves = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: entries.length - 1, PageUp: 0 };
    if (event.key in moves) {
      event.preventDefault();
      move(moves[event.key]);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (entries[active]) choose(entries[active]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'Tab') {
      event.preventDefault(); // one field: the focus stays in the dialog
    }
  });
  dialog.addEventListener('cancel', (event) => { // Esc reaching the dialog itself
    event.preventDefault();
    close(true);
  });
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) close(true); // a click on the backdrop
  });
}

export function initSwitcher() {
  build();
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || composing(event)) return;
    const otherDialog = document.querySelector('dialog[open]:not(#switcher)');
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'k') {
      if (otherDialog) return;
      event.preventDefault();
      if (switcherOpen()) close(true);
      else openSwitcher();
    } else if (event.key === '/' && !event.ctrlKey && !event.metaKey && !event.altKey && !otherDialog
      && !switcherOpen() && !inTextField(event.target)) {
      event.preventDefault();
      openSwitcher();
    }
  });
}
