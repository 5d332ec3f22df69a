// Threads (issue 28): "Reply in thread" in a message's menu opens the side
// panel (a full screen on a phone) with the root, its replies and a composer
// of its own ("Also send to the conversation" shows the reply there too).
// The conversation shows a root's "N replies, last at …" line instead of its
// replies. The topbar's Threads button opens the threads I follow, unread
// ones first, each with its unread count; its badge counts the threads with
// unread replies, the same on all my devices (Type 23 frames and the server).

import * as api from './api.js';
import { registerBubblePart, registerFrameHandler, registerMessageAction } from './hooks.js';
import { redrawMessage } from './messages.js';
import { shownName, userInfo } from './names.js';
import { $ } from './dom.js';
import { EMOJI, GROUP, IMAGE, PRIVATE, TEXT, VOICE } from './constants.js';
import { convKey } from './convs.js';
import { me, state } from './state.js';
import { clock, dayLabel, el, isoTime, toast } from './view.js';
import { t } from './i18n.js';

const PAGE = 50; // replies per request
const LIST_PAGE = 20; // threads per page of the Threads view
const THREAD = 23; // my state of a thread, from any of my devices

let panel = null; // the side panel: a thread
let listView = null; // the Threads view (a dialog)
let button = null; // the topbar's Threads button
let open = null; // { conv, rootId, root, replies: Map, following, hasMore, opener }
let unreadThreads = 0;
let countTimer = null;
let readTimer = null;
let listPage = 1;
let sent = 0;

function describe(msg) {
  if (!msg) return '';
  if (msg.Recalled) return msg.UserId === me.ID ? t('You recalled a message') : t('This message was recalled');
  if (msg.Media === TEXT || msg.Media === EMOJI) return msg.Content || '';
  if (msg.Media === IMAGE) return t('[picture]');
  if (msg.Media === VOICE) return t('[voice clip]');
  return t('[attachment]');
}

function nameOf(userId) {
  return userId === me.ID ? t('You') : shownName(userInfo(userId));
}

function when(ms) {
  return `${dayLabel(ms)} ${clock(ms)}`;
}

function convOfRoot(root) {
  if (root.Type === GROUP) return state.convs.get(convKey(GROUP, root.TargetId));
  return state.convs.get(convKey(PRIVATE, root.UserId === me.ID ? root.TargetId : root.UserId));
}

// --- the root's line in the conversation ------------------------------------------------
function threadLine(msg, conv) {
  if (msg.RootId) {
    if (!msg.AlsoInChat) return null;
    return el('button', {
      type: 'button', className: 'link thread-line also', dataset: { rootId: msg.RootId },
      text: t('Replied in a thread'), onclick: () => openThread(conv, msg.RootId),
    });
  }
  const info = msg.Thread;
  if (!info || !info.Replies) return null;
  const text = t(info.Replies === 1 ? '{n} reply, last at {time}' : '{n} replies, last at {time}',
    { n: info.Replies, time: clock(info.LastTime) });
  return el('button', {
    type: 'button', className: 'link thread-line', dataset: { rootId: msg.Id }, text,
    'aria-label': t('{text}: open the thread', { text }), onclick: () => openThread(conv, msg.Id),
  });
}

// A reply counts on its root's line once, whichever way it came (live, replay).
function countOnRoot(conv, reply) {
  const root = conv && conv.messages.get(reply.RootId);
  if (!root) return;
  const info = root.Thread || { Replies: 0, LastId: 0, LastTime: 0 };
  if (reply.Id <= info.LastId) return;
  root.Thread = { Replies: info.Replies + 1, LastId: reply.Id, LastTime: reply.CreateTime };
  redrawMessage(conv, root.Id);
}

// --- the panel -------------------------------------------------------------------------
function replyNode(msg) {
  const mine = msg.UserId === me.ID;
  return el('li', { className: `thread-msg${mine ? ' mine' : ''}${msg.Recalled ? ' recalled' : ''}`, dataset: { id: msg.Id } },
    el('span', { className: 'thread-who', text: nameOf(msg.UserId) }),
    el('time', { datetime: isoTime(msg.CreateTime), text: when(msg.CreateTime) }),
    el('p', { className: 'thread-text', text: describe(msg) }));
}

function renderPanel() {
  if (!open) return;
  const { root } = open;
  panel.querySelector('.thread-root').replaceChildren(root ? replyNode(root) : el('p', { text: t('Loading…') }));
  const count = open.replies.size;
  panel.querySelector('.thread-count').textContent = root
    ? t(count === 1 ? '{n} reply' : '{n} replies', { n: (root.Thread && root.Thread.Replies) || count })
    : '';
  const list = panel.querySelector('.thread-replies');
  list.replaceChildren(...[...open.replies.values()].sort((a, b) => a.Id - b.Id).map(replyNode));
  panel.querySelector('.thread-earlier').hidden = !open.hasMore;
  const follow = panel.querySelector('.thread-follow');
  follow.textContent = open.following ? t('Following') : t('Follow');
  follow.setAttribute('aria-pressed', String(!!open.following));
  const closed = !root || root.Recalled;
  panel.querySelector('.thread-input').disabled = closed;
  panel.querySelector('.thread-send').disabled = closed;
  panel.querySelector('.thread-note').textContent = root && root.Recalled
    ? t('The first message was recalled: the thread can be read, not replied to.') : '';
}

function learnState(data) {
  if (!open || !data || data.RootId !== open.rootId) return;
  open.following = data.Following;
  if (open.root && data.Replies) open.root.Thread = { Replies: data.Replies, LastId: data.LastId, LastTime: data.LastTime };
}

export async function openThread(conv, rootId) {
  if (!conv) return;
  const opener = document.activeElement;
  if (location.hash !== `#${conv.key}`) location.hash = conv.key;
  open = { conv, rootId, root: conv.messages.get(rootId) || null, replies: new Map(), following: false, hasMore: false, opener };
  panel.hidden = false;
  document.body.classList.add('thread-open');
  renderPanel();
  panel.querySelector('#thread-h').focus();
  try {
    const data = await api.get('/message/thread', { rootId, limit: PAGE });
    if (!open || open.rootId !== rootId) return;
    open.root = data.Data.Root;
    learnState(data.Data);
    for (const msg of data.Rows || []) open.replies.set(msg.Id, msg);
    open.hasMore = (data.Rows || []).length >= PAGE;
    renderPanel();
    const list = panel.querySelector('.thread-replies');
    list.scrollTop = list.scrollHeight;
    if (data.Data.Unread) markRead();
  } catch (err) {
    toast(t('Could not load the thread: {error}', { error: err.message }));
  }
}

async function loadEarlierReplies() {
  if (!open || !open.replies.size) return;
  const { rootId } = open;
  const before = Math.min(...open.replies.keys());
  try {
    const data = await api.get('/message/thread', { rootId, before, limit: PAGE });
    if (!open || open.rootId !== rootId) return;
    for (const msg of data.Rows || []) open.replies.set(msg.Id, msg);
    open.hasMore = (data.Rows || []).length >= PAGE;
    renderPanel();
  } catch (err) {
    toast(t('Could not load the thread: {error}', { error: err.message }));
  }
}

function closeThread() {
  if (!open) return;
  const { opener } = open;
  open = null;
  panel.hidden = true;
  document.body.classList.remove('thread-open');
  if (opener && opener.isConnected) opener.focus();
}

function markRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(async () => {
    if (!open || document.hidden) return;
    try {
      const data = await api.post('/message/thread/read', { rootId: open.rootId });
      learnState(data.Data);
      scheduleCount();
    } catch (err) {
      /* read again with the next reply */
    }
  }, 300);
}

async function toggleFollow() {
  if (!open) return;
  try {
    const data = await api.post('/message/thread/follow', { rootId: open.rootId, follow: open.following ? 'false' : 'true' });
    learnState(data.Data);
    renderPanel();
    scheduleCount();
  } catch (err) {
    toast(err.message);
  }
}

function send(event) {
  event.preventDefault();
  if (!open || !open.root) return;
  const box = panel.querySelector('.thread-input');
  const content = box.value.trim();
  if (!content) return;
  const { conv } = open;
  sent += 1;
  const frame = {
    Type: conv.type, TargetId: conv.id, Media: TEXT, Content: content, RootId: open.rootId,
    ClientMsgId: `th-${Date.now().toString(36)}-${sent}`,
  };
  if (panel.querySelector('.thread-also').checked) frame.AlsoInChat = true;
  if (!state.socket || !state.socket.send(frame)) {
    panel.querySelector('.thread-note').textContent = t('Not connected: the reply was not sent.');
    return;
  }
  box.value = '';
  panel.querySelector('.thread-also').checked = false;
  panel.querySelector('.thread-note').textContent = '';
}

// --- the Threads view -----------------------------------------------------------------
function showCount() {
  const badge = button.querySelector('.badge');
  badge.textContent = unreadThreads ? String(unreadThreads) : '';
  badge.hidden = !unreadThreads;
  button.setAttribute('aria-label', unreadThreads ? t('Threads, {n} unread', { n: unreadThreads }) : t('Threads'));
}

async function refreshCount() {
  try {
    const data = await api.get('/message/threads', { size: 1 });
    unreadThreads = (data.Data && data.Data.Unread) || 0;
    showCount();
    if (listView.open) loadList(1);
  } catch (err) {
    /* the count waits for the next try */
  }
}

function scheduleCount() {
  clearTimeout(countTimer);
  countTimer = setTimeout(refreshCount, 400);
}

function threadRow(item) {
  const root = item.Root;
  const conv = state.convs.get(convKey(item.ChatType, item.TargetId));
  const where = conv ? conv.name : (item.ChatType === GROUP ? t('group {id}', { id: item.TargetId }) : nameOf(item.TargetId));
  return el('li', { className: item.Unread ? 'unread' : '' }, el('button', {
    type: 'button', className: 'thread-row', dataset: { rootId: item.RootId },
    onclick: () => {
      listView.close();
      openThread(conv || convOfRoot(root), item.RootId);
    },
  }, el('span', { className: 'thread-where', text: t('{who} in {where}', { who: nameOf(root.UserId), where }) }),
  el('span', { className: 'thread-when', text: item.LastTime ? when(item.LastTime) : '' }),
  el('span', { className: 'thread-text', text: describe(root) }),
  el('span', { className: 'thread-replies-n', text: t(item.Replies === 1 ? '{n} reply' : '{n} replies', { n: item.Replies }) }),
  item.Unread ? el('span', { className: 'badge thread-unread', text: String(item.Unread), 'aria-label': t('{n} unread', { n: item.Unread }) }) : null));
}

async function loadList(page) {
  const box = listView.querySelector('.thread-list');
  const more = listView.querySelector('.thread-more');
  try {
    const data = await api.get('/message/threads', { page, size: LIST_PAGE });
    listPage = page;
    unreadThreads = (data.Data && data.Data.Unread) || 0;
    showCount();
    if (page === 1) box.replaceChildren();
    box.append(...(data.Rows || []).map(threadRow));
    if (!box.children.length) box.append(el('li', { className: 'empty', text: t('You follow no thread yet.') }));
    more.hidden = page * LIST_PAGE >= (data.Total || 0);
  } catch (err) {
    toast(t('Could not load the threads: {error}', { error: err.message }));
  }
}

// --- frames ---------------------------------------------------------------------------
function onMessage(msg) {
  if (!msg.RootId || !Number.isInteger(msg.Id)) return;
  const conv = convOfRoot(msg);
  countOnRoot(conv, msg);
  if (open && open.rootId === msg.RootId) {
    open.replies.set(msg.Id, msg);
    const info = open.root && (open.root.Thread || { Replies: 0, LastId: 0, LastTime: 0 });
    if (info && msg.Id > info.LastId) open.root.Thread = { Replies: info.Replies + 1, LastId: msg.Id, LastTime: msg.CreateTime };
    const list = panel.querySelector('.thread-replies');
    list.scrollTop = list.scrollHeight;
    if (msg.UserId !== me.ID) markRead();
    else open.following = true;
    renderPanel();
    list.scrollTop = list.scrollHeight;
  } else if (msg.UserId !== me.ID) {
    scheduleCount();
  }
}

// A reply (or the root) recalled or edited while the panel shows it.
function onChange(frame) {
  if (!open) return;
  const id = frame.Type === 13 ? frame.Id : frame.MsgId;
  const msg = open.replies.get(id) || (open.root && open.root.Id === id ? open.root : null);
  if (!msg) return;
  if (frame.Type === 13 || frame.Recalled) Object.assign(msg, { Media: 0, Content: '', Url: '', Recalled: true });
  else if (typeof frame.Content === 'string') Object.assign(msg, { Content: frame.Content, Edited: frame.Edited });
  renderPanel();
}

function onThreadState(frame) {
  if (open && open.rootId === frame.RootId) {
    learnState(frame);
    renderPanel();
  }
  scheduleCount();
}

export function initThreads() {
  panel = el('section', { id: 'thread-panel', className: 'thread-panel', hidden: true, 'aria-labelledby': 'thread-h' },
    el('header', { className: 'thread-head' },
      el('button', { type: 'button', className: 'link thread-close', text: '←', 'aria-label': t('Close the thread'), onclick: closeThread }),
      el('h2', { id: 'thread-h', tabindex: '-1', text: t('Thread') }),
      el('span', { className: 'thread-count' }),
      el('button', { type: 'button', className: 'link thread-follow', 'aria-pressed': 'false', onclick: toggleFollow })),
    el('div', { className: 'thread-root' }),
    el('button', { type: 'button', className: 'link thread-earlier', hidden: true, text: t('Earlier replies'), onclick: loadEarlierReplies }),
    el('ol', { className: 'thread-replies', 'aria-label': t('Replies'), 'aria-live': 'polite' }),
    el('form', { className: 'thread-composer', autocomplete: 'off', onsubmit: send },
      el('p', { className: 'thread-note', role: 'alert' }),
      el('label', { className: 'visually-hidden', for: 'thread-input', text: t('Reply in thread') }),
      el('textarea', { id: 'thread-input', className: 'thread-input', rows: 2, placeholder: t('Reply in thread') }),
      el('div', { className: 'thread-actions' },
        el('label', { className: 'thread-also-label' },
          el('input', { type: 'checkbox', className: 'thread-also' }), t('Also send to the conversation')),
        el('button', { type: 'submit', className: 'thread-send', text: t('Send reply') }))));
  document.body.append(panel);
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      closeThread();
    } else if (event.key === 'Enter' && !event.shiftKey && event.target.classList.contains('thread-input')) {
      send(event);
    }
  });

  button = el('button', { type: 'button', id: 'threads-btn', className: 'link threads-btn', 'aria-label': t('Threads'), title: t('Threads'),
    onclick: () => { listView.showModal(); loadList(1); } },
  el('span', { 'aria-hidden': 'true', text: '🧵' }), el('span', { className: 'badge', hidden: true }));
  $('me').before(button);
  listView = el('dialog', { id: 'threads-view', className: 'mentions-view threads-view', 'aria-labelledby': 'threads-h' },
    el('div', { className: 'mentions-head' },
      el('h2', { id: 'threads-h', text: t('Threads') }),
      el('form', { method: 'dialog' }, el('button', { type: 'submit', className: 'link', text: t('Close') }))),
    el('ul', { className: 'thread-list' }),
    el('button', { type: 'button', className: 'link thread-more', text: t('More threads'), hidden: true, onclick: () => loadList(listPage + 1) }));
  document.body.append(listView);

  registerMessageAction({
    id: 'thread',
    label: t('Reply in thread'),
    when: (msg) => !msg.Recalled || !!(msg.Thread && msg.Thread.Replies),
    run: (msg, conv) => openThread(conv, msg.RootId || msg.Id),
  });
  registerBubblePart((msg, conv) => threadLine(msg, conv), { where: 'bottom' });
  registerFrameHandler(PRIVATE, onMessage);
  registerFrameHandler(GROUP, onMessage);
  registerFrameHandler(THREAD, onThreadState);
  registerFrameHandler(13, onChange);
  registerFrameHandler(15, onChange);
  // A search hit inside a thread opens the thread (search.js).
  document.addEventListener('ginchat:open-thread', (event) => {
    const { type, id, rootId } = event.detail;
    openThread(state.convs.get(convKey(type, id)), rootId);
  });
  window.addEventListener('hashchange', () => {
    if (open && location.hash.slice(1) !== open.conv.key) closeThread();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && open) markRead();
    if (!document.hidden) scheduleCount(); // another device may have read some meanwhile
  });
  refreshCount();
}
