// How a person is shown, and the one lookup of people by id (issue 27).
//
// shownName(user): the display name when they set one, else the name (which
// is always the unique @handle). Every place that shows a person by id (a
// bubble's sender, a reply's quote, the live region, reactions, receipts,
// previews, mentions) asks nameOf(id) / userInfo(id) here. Someone not known
// yet shows as "user 7" for a moment: the ids asked for within one turn go
// to the server together (POST /user/findMany, up to 100 a request), each
// answer is kept, and "ginchat:user-known" ({ id }) is dispatched on document
// so that what showed the placeholder is drawn again (namepaint.js,
// richtext.js). The answers follow the server's rule of who may see whom:
// under DIRECT_MESSAGES=members that is anyone on the server.

import * as api from './api.js';
import { t } from './i18n.js';

const BATCH = 100; // ids per request, as the server takes them
const RETRIES = 4; // a passing failure is asked again, 1, 2, 4, 8 s later

export const users = new Map(); // user id -> public user
export const lookups = new Map(); // user id -> Promise of its lookup (settled: known, or not to be)
const unseen = new Set(); // ids the server would not answer (unknown, or not mine to see)
const queue = new Map(); // id -> { resolve, tries } waiting for the next request
let flushing = null;

export function shownName(user) {
  if (!user) return '';
  return (user.DisplayName || '').trim() || user.Name || '';
}

export function handleOf(user) {
  return user && user.Name ? `@${user.Name}` : '';
}

// "Ana Lima (@ana)" where the two differ, else the name alone: for places
// where two people could be mistaken (search results, members, requests).
export function fullName(user) {
  const shown = shownName(user);
  return shown && user && user.Name && shown !== user.Name ? `${shown} (@${user.Name})` : shown;
}

function placeholder(id) {
  return { ID: id, Name: t('user {id}', { id }), DisplayName: '', Avatar: '', placeholder: true };
}

// A user that came with a list or a frame (friends, members, search rows):
// kept, and told to whoever drew the placeholder or an older name.
export function rememberUser(user) {
  if (!user || !user.ID) return;
  const old = users.get(user.ID);
  users.set(user.ID, old ? { ...old, ...user } : user);
  unseen.delete(user.ID);
  if (!old || shownName(old) !== shownName(user) || (old.Avatar || '') !== (user.Avatar || '')) {
    document.dispatchEvent(new CustomEvent('ginchat:user-known', { detail: { id: user.ID } }));
  }
}

async function flush() {
  await null; // every id asked for in this turn goes in one request
  const ids = [...queue.keys()].slice(0, BATCH);
  const waiting = ids.map((id) => [id, queue.get(id)]);
  for (const id of ids) queue.delete(id);
  try {
    const data = await api.post('/user/findMany', { userIds: ids.join(',') });
    const found = new Set();
    for (const user of data.Rows || []) {
      found.add(user.ID);
      users.set(user.ID, user);
    }
    for (const [id, wait] of waiting) {
      if (!found.has(id)) unseen.add(id);
      wait.resolve(users.get(id) || placeholder(id));
      if (found.has(id)) document.dispatchEvent(new CustomEvent('ginchat:user-known', { detail: { id } }));
    }
  } catch (err) {
    // A refusal (4xx) will be refused again; no answer or a 5xx may pass later.
    const again = !(err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429);
    for (const [id, wait] of waiting) {
      if (again && wait.tries < RETRIES) {
        setTimeout(() => enqueue(id, { ...wait, tries: wait.tries + 1 }), 1000 * 2 ** wait.tries);
      } else {
        lookups.delete(id); // asked again the next time it is shown
        wait.resolve(placeholder(id));
      }
    }
  }
  flushing = null;
  if (queue.size) schedule();
}

function schedule() {
  if (!flushing) flushing = flush();
}

function enqueue(id, wait) {
  queue.set(id, wait);
  schedule();
}

// The user with that id, once known: a Promise (the placeholder when the
// server will not say).
export function whenKnown(id) {
  const known = users.get(id);
  if (known) return Promise.resolve(known);
  if (unseen.has(id)) return Promise.resolve(placeholder(id));
  if (!lookups.has(id)) {
    lookups.set(id, new Promise((resolve) => { enqueue(id, { resolve, tries: 0 }); }));
  }
  return lookups.get(id);
}

// The user as known now, or a placeholder while the lookup (started here) runs.
export function userInfo(id) {
  const known = users.get(id);
  if (known) return known;
  if (id && !unseen.has(id)) whenKnown(id);
  return placeholder(id);
}

export function isKnown(id) {
  return users.has(id);
}

// The name shown for user `id` (the display name, else the handle).
export function nameOf(id) {
  return shownName(userInfo(id));
}
