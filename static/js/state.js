// The page's shared state: who I am, the conversations and their messages,
// the socket, and the small helpers every view uses. No listeners here.

import * as api from './api.js';
import { ReadState } from './readstate.js';
import { el } from './view.js';
import { lookups, userInfo as lookUpUser, users } from './names.js';
import { t } from './i18n.js';

export const PRIVATE = 1;
export const GROUP = 2;
export const TEXT = 1;
export const EMOJI = 2;
export const VOICE = 3;
export const IMAGE = 4;
export const PAGE = 30; // messages per history request
export const RECALLED = 0; // Media of a recalled message (issue 9)
export const TYPING_EVERY_MS = 3000; // at most one typing frame per friend this often
export const TYPING_SHOWN_MS = 5000; // "typing…" stays this long after the last frame
export const SEND_TIMEOUT_MS = 15000; // no acknowledgement within this: "failed, retry"
export const POLL_MS = 20000; // friends' online dots and member counts

export const $ = (id) => document.getElementById(id);
export const root = $('app');
export const me = {
  ID: Number(root.dataset.meId),
  Name: root.dataset.meName,
  DisplayName: root.dataset.meDisplayName || '',
  Avatar: root.dataset.meAvatar || '',
  Phone: root.dataset.mePhone || '',
  Email: root.dataset.meEmail || '',
};
// The server's RECALL_SECONDS: Recall is offered this long after sending.
export const RECALL_MS = (Number(root.dataset.recallSeconds) || 120) * 1000;
export const maxUploadBytes = Number(root.dataset.maxUploadMb || 10) * 1024 * 1024;
export const messagesEl = $('messages');
export const input = $('msg-input');

export const state = {
  convs: new Map(), // 'u7' (friend 7) or 'g9' (group 9) -> conversation
  users, // user id -> public user: names.js's one cache (me, friends, anyone looked up)
  lookups, // user id -> its lookup's Promise (names.js)
  pending: new Map(), // ClientMsgId -> a message of mine not yet acknowledged
  counted: new Set(), // message Ids already counted as unread
  lastId: 0, // the last Id of the complete stream (sync, then the socket)
  current: null, // the open conversation's key
  ready: false,
  socket: null, // the ChatSocket, once started
};
export const reads = new ReadState({ send: (frame) => !!state.socket && state.socket.send(frame), post: api.post });

// --- conversations -------------------------------------------------------------
export function convKey(type, id) {
  return (type === PRIVATE ? 'u' : 'g') + id;
}

// A conversation by type and id, created on first sight.
export function upsertConv(type, id, info) {
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
      // Issue 15: the last Id known to have reached the friend's device (ticks).
      delivered: 0,
    };
    state.convs.set(key, conv);
  }
  Object.assign(conv, info);
  return conv;
}

export function convOf(msg) {
  if (msg.Type === PRIVATE) return [PRIVATE, msg.UserId === me.ID ? msg.TargetId : msg.UserId];
  if (msg.Type === GROUP) return [GROUP, msg.TargetId];
  return [null, null];
}

export function currentConv() {
  return state.current && state.convs.get(state.current);
}

export function merge(conv, rows) {
  for (const msg of rows) {
    if (msg.RootId && !msg.AlsoInChat) continue; // a thread's own reply: its root's line shows it (threads.js)
    if (!conv.messages.has(msg.Id)) conv.messages.set(msg.Id, msg);
    if (!conv.last || msg.Id > conv.last.Id) conv.last = msg;
  }
}

// --- users: names.js looks them up (batched, cached); namepaint.js redraws --------
users.set(me.ID, me);

export function userInfo(id) {
  return lookUpUser(id);
}

// --- small things ----------------------------------------------------------------------
let toastTimer = null;
export function toast(text) {
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

export function formStatus(form, text, ok) {
  const line = form.querySelector('.form-status');
  line.textContent = text;
  line.classList.toggle('ok', !!ok);
  line.classList.toggle('error', !ok);
}

export function busy(form, on) {
  for (const button of form.querySelectorAll('button')) button.disabled = on;
}

export function miniButton(text, onclick, extra = {}) {
  return el('button', { type: 'button', text, onclick, ...extra });
}

export async function uploadFrom(fileInput) {
  const file = fileInput.files && fileInput.files[0];
  if (!file) return undefined;
  if (file.size > maxUploadBytes) throw new api.ApiError(413, t('{name} is too large', { name: file.name }));
  return api.upload(file, file.name);
}
