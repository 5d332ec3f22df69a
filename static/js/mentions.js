// Mentions: typing @ in a group's composer offers its members (arrow keys,
// Enter or Tab to take one, Esc to close); the server resolves @name to
// member ids (Mentions), and the bubble highlights them, mine most. The "@"
// button of the top bar opens the Mentions view: the group messages that
// mention me, newest first, with the count of unread ones; a click opens
// the message in its conversation.
// (The highlighting is format.js's, through richtext.js.)

import * as api from './api.js';
import { jumpTo } from './replies.js';
import { scheduleListRender } from './convlist.js';
import { registerChatRowPart, registerFrameHandler } from './hooks.js';
import { $, input } from './dom.js';
import { GROUP } from './constants.js';
import { convKey, currentConv } from './convs.js';
import { me, state } from './state.js';
import { nameOf } from './names.js';
import { clock, dayLabel, el, toast } from './view.js';
import { t } from './i18n.js';

const members = new Map(); // group id -> Promise of [{ID, Name}]
let button = null;
let dialog = null;
let unread = 0;
let byGroup = new Map(); // group id -> unread mentions of me

// --- autocomplete --------------------------------------------------------------------
function membersOf(groupId) {
  if (!members.has(groupId)) {
    members.set(groupId, api.post('/contact/groupMembers', { comId: groupId })
      .then((data) => (data.Rows || []).map((u) => ({ ID: u.ID, Name: u.Name, DisplayName: u.DisplayName || '' })))
      .catch(() => { members.delete(groupId); return []; }));
  }
  return members.get(groupId);
}

// The @ autocomplete of one composer: its text box, the form the list goes
// into, and the conversation it writes to (the main composer's, a thread's).
// Returns nothing; the list and its state belong to that composer alone.
export function attachMentionSuggest(box, form, convNow, idPrefix) {
  const list = el('ul', { id: `${idPrefix}-list`, className: 'mention-suggest', role: 'listbox', 'aria-label': t('Members'), hidden: true });
  let choices = [];
  let active = 0;

  function partial() {
    const upto = box.value.slice(0, box.selectionStart ?? box.value.length);
    const match = /(^|[^\p{L}\p{N}_])@([^\s@]{0,32})$/u.exec(upto);
    return match ? { start: upto.length - match[2].length - 1, text: match[2] } : null;
  }

  function closeList() {
    choices = [];
    list.hidden = true;
    box.removeAttribute('aria-activedescendant');
  }

  function drawList() {
    list.replaceChildren(...choices.map((u, i) => el('li', {
      id: `${idPrefix}-opt-${i}`, role: 'option', className: i === active ? 'active' : null, 'aria-selected': String(i === active),
      text: u.label || (u.DisplayName && u.DisplayName !== u.Name ? `${u.DisplayName} (@${u.Name})` : u.Name), onmousedown: (event) => { event.preventDefault(); take(i); },
    })));
    list.hidden = !choices.length;
    if (choices.length) box.setAttribute('aria-activedescendant', `${idPrefix}-opt-${active}`);
  }

  async function suggest() {
    const conv = convNow();
    const found = conv && conv.type === GROUP ? partial() : null;
    if (!found) {
      closeList();
      return;
    }
    const all = await membersOf(conv.id);
    const now = partial();
    if (!now || now.text !== found.text) return; // typed on meanwhile
    const want = found.text.toLowerCase();
    const starts = (text) => text.toLowerCase().startsWith(want);
    // by the handle or the display name: @张 offers 张伟, whose handle it inserts
    choices = all.filter((u) => u.ID !== me.ID && (starts(u.Name) || starts(u.DisplayName))).slice(0, 8);
    choices = broadcastChoices(conv, starts).concat(choices);
    active = 0;
    drawList();
  }

  function take(index) {
    const user = choices[index];
    const found = partial();
    if (!user || !found) return;
    const end = box.selectionStart ?? box.value.length;
    const text = `@${user.Name} `;
    box.value = box.value.slice(0, found.start) + text + box.value.slice(end);
    const at = found.start + text.length;
    box.setSelectionRange(at, at);
    closeList();
    box.dispatchEvent(new Event('input'));
    box.focus();
  }

  function onKey(event) {
    if (event.target !== box || !choices.length || list.hidden) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      active = (active + (event.key === 'ArrowDown' ? 1 : -1) + choices.length) % choices.length;
      drawList();
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      event.preventDefault();
      event.stopImmediatePropagation();
      take(active);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopImmediatePropagation();
      closeList();
    }
  }

  form.append(list);
  box.setAttribute('aria-controls', list.id);
  box.setAttribute('aria-autocomplete', 'list');
  box.addEventListener('input', suggest);
  box.addEventListener('blur', () => setTimeout(closeList, 150));
  form.addEventListener('keydown', onKey, true); // before the composer's Enter-to-send
  window.addEventListener('hashchange', closeList);
}

// @all and @here (issue 28), offered to whom the group's WhoMayMentionAll allows.
export function mayMentionAll(conv) {
  const rule = conv.whoMayMentionAll || 'admins';
  if (rule === 'members') return true;
  return rule === 'admins' && (conv.role === 'owner' || conv.role === 'admin');
}

function broadcastChoices(conv, starts) {
  if (!mayMentionAll(conv)) return [];
  return [
    { ID: 'all', Name: 'all', label: t('@all: notify every member'), keys: ['all', '所有人'] },
    { ID: 'here', Name: 'here', label: t('@here: notify the members online now'), keys: ['here'] },
  ].filter((choice) => choice.keys.some(starts));
}

// --- the Mentions view ------------------------------------------------------------------
function learn(data) {
  unread = (data && data.Unread) || 0;
  byGroup = new Map(((data && data.Groups) || []).map((g) => [g.GroupId, g.Unread]));
  showUnread();
  scheduleListRender();
}

function showUnread() {
  button.querySelector('.badge').textContent = unread ? String(unread) : '';
  button.querySelector('.badge').hidden = !unread;
  button.setAttribute('aria-label', unread ? t('Mentions, {n} unread', { n: unread }) : t('Mentions'));
}

export async function refreshMentions() {
  try {
    const data = await api.get('/message/mentions', { limit: 1 });
    learn(data.Data);
  } catch (err) {
    /* the count waits for the next try */
  }
}

function row(msg) {
  const conv = state.convs.get(convKey(GROUP, msg.TargetId));
  const group = conv ? conv.name : t('group {id}', { id: msg.TargetId });
  return el('li', {}, el('button', {
    type: 'button', className: 'mention-row', dataset: { id: msg.Id },
    onclick: () => open(msg),
  }, el('span', { className: 'mention-where', text: t('{who} in {group}', { who: nameOf(msg.UserId), group }) }),
  el('span', { className: 'mention-when', text: `${dayLabel(msg.CreateTime)} ${clock(msg.CreateTime)}` }),
  el('span', { className: 'mention-text', text: msg.Content })));
}

async function open(msg) {
  dialog.close();
  const key = convKey(GROUP, msg.TargetId);
  if (location.hash !== `#${key}`) location.hash = key;
  const conv = state.convs.get(key);
  if (!conv) return;
  for (let i = 0; i < 100 && !conv.loaded; i += 1) await new Promise((resolve) => { setTimeout(resolve, 50); });
  jumpTo(conv, msg.Id);
}

async function loadPage(before) {
  const box = dialog.querySelector('.mention-list');
  const more = dialog.querySelector('.mention-more');
  try {
    const data = await api.get('/message/mentions', before ? { before, limit: 30 } : { limit: 30 });
    const rows = data.Rows || [];
    learn(data.Data);
    if (!before) box.replaceChildren();
    box.append(...rows.map(row));
    if (!box.children.length) box.append(el('li', { className: 'empty', text: t('Nobody has mentioned you yet.') }));
    more.hidden = rows.length < 30;
    more.onclick = () => loadPage(rows[rows.length - 1].Id);
  } catch (err) {
    toast(t('Could not load the mentions: {error}', { error: err.message }));
  }
}

function openView() {
  dialog.showModal();
  loadPage(null);
}

export function initMentions() {
  registerChatRowPart((conv) => (conv.type === GROUP && byGroup.get(conv.id)
    ? el('span', { className: 'mention-mark', text: '@', title: t('You were mentioned'), 'aria-label': t('you were mentioned') })
    : null));
  attachMentionSuggest(input, $('composer'), currentConv, 'mention');
  window.addEventListener('hashchange', () => {
    setTimeout(refreshMentions, 1500); // opening a group reads it
  });

  button = el('button', { type: 'button', id: 'mentions-btn', className: 'link mentions-btn', 'aria-label': t('Mentions'), title: t('Mentions'), onclick: openView },
    el('span', { 'aria-hidden': 'true', text: '@' }), el('span', { className: 'badge', hidden: true }));
  $('me').before(button);
  dialog = el('dialog', { id: 'mentions-view', className: 'mentions-view', 'aria-labelledby': 'mentions-h' },
    el('div', { className: 'mentions-head' },
      el('h2', { id: 'mentions-h', text: t('Mentions') }),
      el('form', { method: 'dialog' }, el('button', { type: 'submit', className: 'link', text: t('Close') }))),
    el('ul', { className: 'mention-list' }),
    el('button', { type: 'button', className: 'link mention-more', text: t('Older mentions'), hidden: true }));
  document.body.append(dialog);
  registerFrameHandler(GROUP, (msg) => {
    if (msg.UserId !== me.ID && ((msg.Mentions || []).includes(me.ID) || msg.MentionAll)) refreshMentions();
  });
  registerFrameHandler(10, (frame) => {
    if (frame.UserId === me.ID && frame.ChatType === GROUP) refreshMentions();
  });
  refreshMentions();
}
