// Threads (issue 28): "Reply in thread" in a message's menu opens the side
// panel (a full screen on a phone) with the root, its replies and a composer
// of its own ("Also send to the conversation" shows the reply there too).
// The conversation shows a root's "N replies, last at …" line instead of its
// replies. The Threads tab lists the threads I follow, unread ones first,
// each with its unread count, a page more as one scrolls; its badge (and the
// topbar's Threads button's) counts the threads with unread replies, the same
// on all my devices (Type 23 frames and the server).
//
// The panel draws its messages as the conversation does (messages.js's
// messageNode) through a *thread view* of the conversation: an object whose
// prototype is the conversation, with the thread's own `messages` and
// `nodes`, `thread` (the root's Id) and `pendingKey` (where its outgoing
// messages wait: not in the conversation). So every menu action (edit,
// recall, react, forward, pin, save) and bubble part works there as it does
// in the conversation; the composer pieces (sendText, sendPictures,
// sendFiles, the voice recorder, the @ autocomplete) take it as their target.

import * as api from './api.js';
import { applyChangeTo } from './changes.js';
import { lengthError, sendFile, sendPictures, sendText } from './composer.js';
import { sendFiles } from './files.js';
import {
  registerBubblePart, registerFrameHandler, registerMessageAction, registerOutgoingFields,
} from './hooks.js';
import { setupEmojiPicker } from './emoji.js';
import { composing } from './keys.js';
import { attachMentionSuggest } from './mentions.js';
import { messageNode, redrawMessage } from './messages.js';
import { shownName, userInfo } from './names.js';
import { PIN } from './pins.js';
import { $ } from './dom.js';
import { EMOJI, GROUP, IMAGE, PRIVATE, TEXT, VOICE } from './constants.js';
import { convKey } from './convs.js';
import { me, state } from './state.js';
import { clock, dayLabel, el, toast } from './view.js';
import { VoiceRecorder } from './voice.js';
import { t } from './i18n.js';

const PAGE = 50; // replies per request
const LIST_PAGE = 20; // threads per page of the Threads view
const THREAD = 23; // my state of a thread, from any of my devices

let panel = null; // the side panel: a thread
let tab = null; // the Threads tab's panel
let button = null; // the topbar's Threads button
let open = null; // { conv, view, rootId, root, hasMore, following, opener }
let unreadThreads = 0;
let countTimer = null;
let readTimer = null;
let listPage = 0; // pages of the Threads view loaded
let listMore = false;
let listLoading = false;
let voiceWorks = true; // false: this browser records no voice clip (voice.js disabled the button)

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

// The thread of `rootId` seen as a conversation of its own (see the top).
function threadView(conv, rootId) {
  const view = Object.create(conv);
  Object.assign(view, {
    thread: rootId, pendingKey: `${conv.key}#thread-${rootId}`, messages: new Map(), nodes: new Map(),
    stick: true, alsoInChat: false,
  });
  return view;
}

// --- the root's line in the conversation ------------------------------------------------
function threadLine(msg, conv) {
  if (conv.thread) return null; // the panel itself
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
function nodeOf(view, msg) {
  if (msg.pending) return messageNode(view, msg);
  let node = view.nodes.get(msg.Id);
  if (!node) {
    node = messageNode(view, msg);
    view.nodes.set(msg.Id, node);
  }
  return node;
}

function replies(view) {
  return [...view.messages.values()].filter((m) => m.Id !== view.thread).sort((a, b) => a.Id - b.Id);
}

function pendingOf(view) {
  return [...state.pending.values()].filter((p) => p.conv === view.pendingKey).sort((a, b) => a.CreateTime - b.CreateTime);
}

function renderPanel() {
  if (!open) return;
  const { root, view } = open;
  const list = panel.querySelector('.thread-replies');
  const atBottom = view.stick || list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  panel.querySelector('.thread-root').replaceChildren(root ? nodeOf(view, root) : el('p', { text: t('Loading…') }));
  const shown = replies(view);
  panel.querySelector('.thread-count').textContent = root
    ? t(shown.length === 1 ? '{n} reply' : '{n} replies', { n: Math.max((root.Thread && root.Thread.Replies) || 0, shown.length) })
    : '';
  list.replaceChildren(...shown.map((msg) => nodeOf(view, msg)), ...pendingOf(view).map((msg) => nodeOf(view, msg)));
  if (atBottom) list.scrollTop = list.scrollHeight;
  view.stick = false;
  panel.querySelector('.thread-earlier').hidden = !open.hasMore;
  const follow = panel.querySelector('.thread-follow');
  follow.textContent = open.following ? t('Following') : t('Follow');
  follow.setAttribute('aria-pressed', String(!!open.following));
  const closed = !root || !!root.Recalled;
  for (const part of panel.querySelectorAll('.thread-composer textarea, .thread-composer button, .thread-composer input')) {
    part.disabled = closed || (part.id === 'thread-voice-btn' && !voiceWorks); // no recorder in this browser
  }
  panel.querySelector('.thread-composer').classList.toggle('closed', closed);
  if (root && root.Recalled) note(t('The first message was recalled: the thread can be read, not replied to.'));
}

function note(text) {
  panel.querySelector('.thread-note').textContent = text;
}

// A message of the open thread drawn again (changed: edited, reacted, recalled, pinned).
function redraw(id) {
  if (!open) return;
  open.view.nodes.delete(id);
  renderPanel();
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
  const view = threadView(conv, rootId);
  const root = conv.messages.get(rootId) || null;
  if (root) view.messages.set(rootId, root);
  open = { conv, view, rootId, root, following: false, hasMore: false, opener };
  note('');
  panel.hidden = false;
  document.body.classList.add('thread-open');
  renderPanel();
  panel.querySelector('#thread-h').focus();
  try {
    const data = await api.get('/message/thread', { rootId, limit: PAGE });
    if (!open || open.rootId !== rootId) return;
    open.root = data.Data.Root;
    open.view.messages.set(rootId, open.root);
    open.view.nodes.delete(rootId);
    learnState(data.Data);
    for (const msg of data.Rows || []) open.view.messages.set(msg.Id, msg);
    open.hasMore = (data.Rows || []).length >= PAGE;
    open.view.stick = true;
    renderPanel();
    if (data.Data.Unread) markRead();
  } catch (err) {
    toast(t('Could not load the thread: {error}', { error: err.message }));
  }
}

async function loadEarlierReplies() {
  if (!open) return;
  const { rootId } = open;
  const ids = replies(open.view).map((m) => m.Id);
  if (!ids.length) return;
  const before = Math.min(...ids);
  try {
    const data = await api.get('/message/thread', { rootId, before, limit: PAGE });
    if (!open || open.rootId !== rootId) return;
    for (const msg of data.Rows || []) open.view.messages.set(msg.Id, msg);
    open.hasMore = (data.Rows || []).length >= PAGE;
    const list = panel.querySelector('.thread-replies');
    const fromBottom = list.scrollHeight - list.scrollTop;
    renderPanel();
    list.scrollTop = list.scrollHeight - fromBottom; // what was on screen stays still
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

// The composer of the thread: what the conversation's composer sends, sent as replies.
function target() {
  if (!open || !open.root || open.root.Recalled) return null;
  open.view.alsoInChat = panel.querySelector('.thread-also').checked;
  return open.view;
}

function sent() {
  panel.querySelector('.thread-also').checked = false;
  note('');
  if (!state.socket || !state.socket.isOpen) note(t('Not connected: the reply is sent once the connection is back.'));
}

function send(event) {
  event.preventDefault();
  const box = panel.querySelector('.thread-input');
  const text = box.value;
  if (!text.trim()) return;
  const tooLong = lengthError(text);
  if (tooLong) {
    note(tooLong);
    box.focus();
    return;
  }
  const view = target();
  if (!view) return;
  view.stick = true;
  sendText(view, text);
  box.value = '';
  if (threadEmoji) threadEmoji.close(); // sent: the panel has done its job
  box.style.height = '';
  sent();
}

function chosen(event, sender) {
  const files = [...event.target.files];
  event.target.value = '';
  const view = target();
  if (!view || !files.length) return;
  view.stick = true;
  sender(view, files);
  sent();
}

// The conversation composer's icon (the page knows its static address).
function icon(selector) {
  const img = document.querySelector(selector);
  return img ? img.cloneNode(false) : el('span', { 'aria-hidden': 'true', text: '•' });
}

let threadEmoji = null; // the thread composer's emoji picker (closed once a reply is sent)

function composerNode() {
  const form = el('form', { className: 'thread-composer', autocomplete: 'off', onsubmit: send },
    el('div', { id: 'thread-emoji-panel', className: 'emoji-panel', role: 'group', 'aria-label': t('Emoji'), hidden: true }),
    el('p', { className: 'thread-note', role: 'alert' }),
    el('p', { id: 'thread-rec-status', className: 'rec-status', role: 'status', 'aria-live': 'polite', hidden: true }),
    el('label', { className: 'visually-hidden', for: 'thread-input', text: t('Reply in thread') }),
    el('textarea', { id: 'thread-input', className: 'thread-input', rows: 2, placeholder: t('Reply in thread'), enterkeyhint: 'send' }),
    el('div', { className: 'thread-actions' },
      el('span', { className: 'thread-tools' },
        el('label', { className: 'tool file-tool', for: 'thread-image-input', title: t('Attach a picture') },
          icon('label[for="image-input"] img'), el('span', { className: 'visually-hidden', text: t('Attach a picture') })),
        el('input', {
          type: 'file', id: 'thread-image-input', className: 'visually-hidden', accept: $('image-input').accept, multiple: true,
          onchange: (event) => chosen(event, sendPictures),
        }),
        el('label', { className: 'tool file-tool', for: 'thread-file-input', title: t('Attach a file') },
          icon('label[for="file-input"] img'), el('span', { className: 'visually-hidden', text: t('Attach a file') })),
        el('input', {
          type: 'file', id: 'thread-file-input', className: 'visually-hidden', multiple: true,
          onchange: (event) => chosen(event, sendFiles),
        }),
        el('button', {
          type: 'button', id: 'thread-emoji-btn', className: 'tool', 'aria-label': t('Emoji'),
          'aria-expanded': 'false', 'aria-controls': 'thread-emoji-panel',
        }, icon('#emoji-btn img')),
        el('button', {
          type: 'button', id: 'thread-voice-btn', className: 'tool', 'aria-label': t('Record a voice clip: hold to record, release to send'),
        }, icon('#voice-btn img'))),
      el('label', { className: 'thread-also-label' },
        el('input', { type: 'checkbox', className: 'thread-also' }), t('Also send to the conversation')),
      el('button', { type: 'submit', className: 'thread-send', text: t('Send reply') })));
  const box = form.querySelector('textarea');
  threadEmoji = setupEmojiPicker(form.querySelector('#thread-emoji-btn'), form.querySelector('#thread-emoji-panel'), box);
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !composing(event)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  box.addEventListener('input', () => {
    box.style.height = 'auto';
    box.style.height = `${Math.min(box.scrollHeight, 160)}px`;
  });
  attachMentionSuggest(box, form, () => open && open.view, 'thread-mention');
  return form;
}

// --- the Threads view (a tab of the sidebar) -------------------------------------------
function showCount() {
  for (const badge of [button.querySelector('.badge'), $('badge-threads')]) {
    badge.textContent = unreadThreads ? String(unreadThreads) : '';
    badge.hidden = !unreadThreads;
  }
  button.setAttribute('aria-label', unreadThreads ? t('Threads, {n} unread', { n: unreadThreads }) : t('Threads'));
}

function tabShown() {
  return $('tab-btn-threads').getAttribute('aria-selected') === 'true';
}

async function refreshCount() {
  try {
    const data = await api.get('/message/threads', { size: 1 });
    unreadThreads = (data.Data && data.Data.Unread) || 0;
    showCount();
    if (tabShown()) loadList(1, Math.min(100, Math.max(1, listPage) * LIST_PAGE)); // the pages shown, again
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
    onclick: () => openThread(conv || convOfRoot(root), item.RootId),
  }, el('span', { className: 'thread-where', text: t('{who} in {where}', { who: nameOf(root.UserId), where }) }),
  el('span', { className: 'thread-when', text: item.LastTime ? when(item.LastTime) : '' }),
  el('span', { className: 'thread-text', text: describe(root) }),
  el('span', { className: 'thread-replies-n', text: t(item.Replies === 1 ? '{n} reply' : '{n} replies', { n: item.Replies }) }),
  item.Unread ? el('span', { className: 'badge thread-unread', text: String(item.Unread), 'aria-label': t('{n} unread', { n: item.Unread }) }) : null));
}

// The first `size` rows again (the order changes as replies come), or the
// next page of LIST_PAGE as one scrolls.
async function loadList(page, size = LIST_PAGE) {
  if (listLoading && page > 1) return;
  listLoading = true;
  const box = $('thread-list');
  const more = $('thread-more');
  box.setAttribute('aria-busy', 'true');
  try {
    const data = await api.get('/message/threads', { page, size });
    unreadThreads = (data.Data && data.Data.Unread) || 0;
    showCount();
    if (page === 1) box.replaceChildren();
    const seen = new Set([...box.querySelectorAll('.thread-row')].map((b) => b.dataset.rootId));
    box.append(...(data.Rows || []).filter((item) => !seen.has(String(item.RootId))).map(threadRow));
    if (!box.children.length) box.append(el('li', { className: 'empty', text: t('You follow no thread yet.') }));
    listPage = page === 1 ? size / LIST_PAGE : page;
    listMore = listPage * LIST_PAGE < (data.Total || 0);
    more.hidden = !listMore;
  } catch (err) {
    toast(t('Could not load the threads: {error}', { error: err.message }));
  } finally {
    listLoading = false;
    box.removeAttribute('aria-busy');
  }
}

function showThreadsTab() {
  // On a phone the lists hide behind an open conversation: back to them first.
  if (window.matchMedia('(max-width: 700px)').matches && state.current) location.hash = '';
  $('tab-btn-threads').click();
  $('tab-btn-threads').focus();
}

// --- frames ---------------------------------------------------------------------------
function onMessage(msg) {
  if (!msg.RootId || !Number.isInteger(msg.Id)) return;
  const conv = convOfRoot(msg);
  countOnRoot(conv, msg);
  const mine = msg.UserId === me.ID;
  // My own reply came back stored: it waits no more (frames.js does it for the conversation's).
  if (mine && msg.ClientMsgId && state.pending.has(msg.ClientMsgId)) {
    const was = state.pending.get(msg.ClientMsgId);
    state.pending.delete(msg.ClientMsgId);
    if (was.localUrl) setTimeout(() => URL.revokeObjectURL(was.localUrl), 60000);
  }
  if (open && open.rootId === msg.RootId) {
    const fresh = !open.view.messages.has(msg.Id);
    open.view.messages.set(msg.Id, msg);
    const info = open.root && (open.root.Thread || { Replies: 0, LastId: 0, LastTime: 0 });
    if (info && msg.Id > info.LastId) open.root.Thread = { Replies: info.Replies + 1, LastId: msg.Id, LastTime: msg.CreateTime };
    open.view.nodes.delete(open.rootId);
    if (mine) {
      open.following = true;
      open.view.stick = true;
    } else if (fresh) {
      markRead();
    }
    renderPanel();
  } else if (!mine) {
    scheduleCount();
  }
}

// The open thread's copy of message `id` (the root or a reply), if it has it.
function shownMessage(id) {
  return open ? open.view.messages.get(id) || null : null;
}

// Type 13: a reply (or the root) recalled while the panel shows it.
function onRecall(frame) {
  const msg = shownMessage(frame.Id);
  if (!msg) return;
  applyChangeTo(msg, { Recalled: true });
  redraw(frame.Id);
}

// Type 15 (or the answer to my own edit or reaction): edited, reacted, recalled.
function onChange(frame) {
  const msg = shownMessage(frame.MsgId);
  if (!msg) return;
  applyChangeTo(msg, frame);
  redraw(frame.MsgId);
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
    el('div', { className: 'thread-replies', role: 'log', 'aria-label': t('Replies') }),
    composerNode());
  document.body.append(panel);
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !event.defaultPrevented && !panel.querySelector('.msg-menu, .reaction-picker, .edit-form')) {
      event.preventDefault();
      closeThread();
    }
  });
  voiceWorks = !new VoiceRecorder($('thread-voice-btn'), $('thread-rec-status'), (blob, seconds, ext) => {
    const view = target();
    if (!view) return;
    view.stick = true;
    sendFile(view, blob, { Media: VOICE, Amount: seconds }, `voice.${ext}`);
    sent();
  }).button.disabled;
  // A reply written in the panel carries its root (and, if chosen, AlsoInChat).
  registerOutgoingFields((conv) => (conv.thread ? { RootId: conv.thread, ...(conv.alsoInChat ? { AlsoInChat: true } : {}) } : null));
  document.addEventListener('ginchat:outgoing', (event) => {
    if (open && event.detail === open.view.pendingKey) renderPanel();
  });

  button = el('button', { type: 'button', id: 'threads-btn', className: 'link threads-btn', 'aria-label': t('Threads'), title: t('Threads'),
    onclick: showThreadsTab },
  el('span', { 'aria-hidden': 'true', text: '🧵' }), el('span', { className: 'badge', hidden: true }));
  $('me').before(button);
  tab = $('tab-threads');
  $('thread-more').addEventListener('click', () => loadList(listPage + 1));
  // A page more as the end of the list comes into view (the button stays for the keyboard).
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && listMore && !listLoading && tabShown()) loadList(listPage + 1);
  }, { root: tab, rootMargin: '0px 0px 200px 0px' }).observe($('thread-more-edge'));
  document.addEventListener('ginchat:tab', (event) => {
    if (event.detail === 'threads') loadList(1);
  });

  registerMessageAction({
    id: 'thread',
    label: t('Reply in thread'),
    when: (msg, conv) => !conv.thread && (!msg.Recalled || !!(msg.Thread && msg.Thread.Replies)),
    run: (msg, conv) => openThread(conv, msg.RootId || msg.Id),
  });
  registerBubblePart((msg, conv) => threadLine(msg, conv), { where: 'bottom' });
  registerFrameHandler(PRIVATE, onMessage);
  registerFrameHandler(GROUP, onMessage);
  registerFrameHandler(THREAD, onThreadState);
  registerFrameHandler(13, onRecall);
  document.addEventListener('ginchat:change', (event) => onChange(event.detail)); // changes.js
  registerFrameHandler(PIN, (frame) => {
    if (shownMessage(frame.MsgId)) redraw(frame.MsgId);
  });
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
