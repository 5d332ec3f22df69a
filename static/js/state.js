// The chat page's mutable state: who I am, the conversations and their
// messages, the socket, the read cursors. No listeners, no drawing here:
// constants.js holds the fixed values, dom.js the page's elements,
// convs.js the functions over the conversations, view.js the small
// DOM helpers (toast, formStatus, busy, miniButton).

import * as api from './api.js';
import { root } from './dom.js';
import { ReadState } from './readstate.js';
import { lookups, users } from './names.js';

export const me = {
  ID: Number(root.dataset.meId),
  Name: root.dataset.meName,
  DisplayName: root.dataset.meDisplayName || '',
  Avatar: root.dataset.meAvatar || '',
  Phone: root.dataset.mePhone || '',
  Email: root.dataset.meEmail || '',
};

export const state = {
  convs: new Map(), // 'u7' (friend 7) or 'g9' (group 9) -> conversation (convs.js)
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

// Users are looked up by names.js (batched, cached; userInfo(id) there); I am known from the start.
users.set(me.ID, me);
