// Message search: the "Search messages" box at the top of the sidebar, its
// results (conversation, sender, time, the snippet with the match marked),
// "More results" pages, and opening a conversation at a hit: the history
// from the hit to the newest is loaded, the bubble scrolled to and flashed.

import * as api from './api.js';
import { renderMessages } from './messages.js';
import { $ } from './dom.js';
import { GROUP } from './constants.js';
import { convKey, merge } from './convs.js';
import { me, state } from './state.js';
import { avatar, el, isoTime, shortWhen, toast } from './view.js';
import { t } from './i18n.js';

const PAGE_SIZE = 20;
const HISTORY_MAX = 200; // the largest page /message/history gives
const CONTEXT = 10; // messages shown above a hit
const FLASH_MS = 2500;

const search = { q: '', before: null, loading: false, seq: 0 };

function panel() {
  return $('search-results');
}

function showPanel(on) {
  panel().hidden = !on;
  $('sidebar').classList.toggle('searching', on);
}

function hitRow(hit) {
  const group = hit.ConvType === GROUP;
  const snippet = el('span', { className: 'snippet' });
  (hit.Parts || [hit.Snippet || '']).forEach((part, i) => {
    if (!part) return;
    snippet.append(i % 2 ? el('mark', { text: part }) : document.createTextNode(part));
  });
  const convName = hit.ConvName || (group ? t('group {id}', { id: hit.ConvId }) : t('user {id}', { id: hit.ConvId }));
  // The sender, when the conversation's name does not say it already.
  let sender = '';
  if (hit.UserId === me.ID) sender = t('You');
  else if (group) sender = hit.SenderName || t('user {id}', { id: hit.UserId });
  const link = el('a', {
    className: 'conv-link hit-link',
    href: `#${convKey(hit.ConvType, hit.ConvId)}`,
    dataset: { id: hit.Id },
    onclick: (event) => {
      event.preventDefault();
      openHit(hit);
    },
  },
  avatar({ name: convName, id: hit.ConvId, group }),
  el('span', { className: 'body' },
    el('span', { className: 'name', text: group ? `# ${convName}` : convName }),
    sender ? el('span', { className: 'sender', text: t('{name}:', { name: sender }) }) : null,
    snippet),
  el('span', { className: 'side' }, el('time', { datetime: isoTime(hit.CreateTime), text: shortWhen(hit.CreateTime) })));
  return el('li', { className: 'item hit' }, link);
}

async function runSearch(q, more) {
  const seq = ++search.seq;
  const list = $('search-list');
  const status = $('search-status');
  if (!more) {
    search.q = q;
    search.before = null;
    list.replaceChildren();
  }
  showPanel(true);
  status.textContent = t('Searching…');
  $('search-more').hidden = true;
  search.loading = true;
  try {
    const params = { q: search.q, size: PAGE_SIZE };
    if (more && search.before) params.before = search.before;
    const data = await api.get('/message/search', params);
    if (seq !== search.seq) return; // a newer search started meanwhile
    const rows = data.Rows || [];
    list.append(...rows.map(hitRow));
    search.before = data.Data && data.Data.Before;
    $('search-more').hidden = !search.before;
    const shown = list.children.length;
    status.textContent = shown
      ? t(shown === 1 && !search.before ? '{n} message with “{q}”' : '{n} messages with “{q}”', { n: `${shown}${search.before ? '+' : ''}`, q: search.q })
      : t('No message with “{q}”.', { q: search.q });
  } catch (err) {
    if (seq === search.seq) status.textContent = err.message;
  } finally {
    if (seq === search.seq) search.loading = false;
  }
}

function closeSearch() {
  search.seq += 1;
  $('search-input').value = '';
  $('search-list').replaceChildren();
  showPanel(false);
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function whenLoaded(conv) {
  for (let i = 0; i < 200 && !conv.loaded; i += 1) {
    await (conv.loading || sleep(50));
  }
  return conv.loaded;
}

// The conversation's history from a few messages before `id` through the
// newest already loaded, so the bubbles stay one unbroken run.
async function loadThrough(conv, id) {
  if (conv.messages.has(id)) return;
  const oldest = Math.min(...conv.messages.keys());
  if (!(id < oldest)) {
    const data = await api.get('/message/history', { type: conv.type, targetId: conv.id, after: id - 1, limit: HISTORY_MAX, inChat: 1 });
    merge(conv, data.Rows || []);
    return;
  }
  let after = id - 1;
  for (let page = 0; page < 100; page += 1) {
    const data = await api.get('/message/history', {
      type: conv.type, targetId: conv.id, after, before: oldest, limit: HISTORY_MAX, inChat: 1,
    });
    const rows = data.Rows || [];
    merge(conv, rows);
    if (rows.length < HISTORY_MAX) break;
    after = rows[rows.length - 1].Id;
  }
  const data = await api.get('/message/history', { type: conv.type, targetId: conv.id, before: id, limit: CONTEXT, inChat: 1 });
  const rows = data.Rows || [];
  merge(conv, rows);
  conv.hasMore = rows.length >= CONTEXT;
}

export async function openHit(hit) {
  const key = convKey(hit.ConvType, hit.ConvId);
  const conv = state.convs.get(key);
  if (!conv) {
    toast(t('That conversation is not in your lists any more.'));
    return;
  }
  if (location.hash !== `#${key}`) location.hash = key;
  if (hit.RootId && hit.RootId !== hit.Id) { // a reply in a thread: the thread opens (threads.js)
    document.dispatchEvent(new CustomEvent('ginchat:open-thread', { detail: { type: hit.ConvType, id: hit.ConvId, rootId: hit.RootId } }));
    return;
  }
  try {
    if (!(await whenLoaded(conv))) return;
    await loadThrough(conv, hit.Id);
  } catch (err) {
    toast(t('Could not load the history: {error}', { error: err.message }));
    return;
  }
  if (state.current !== key) return;
  conv.stick = false;
  renderMessages(conv, 'anchor');
  const node = conv.nodes.get(hit.Id);
  if (!node) {
    toast(t('That message is no longer there.'));
    return;
  }
  node.scrollIntoView({ block: 'center' });
  conv.stick = false;
  node.classList.add('found');
  setTimeout(() => node.classList.remove('found'), FLASH_MS);
}

export function initSearch() {
  const form = $('search-form');
  const input = $('search-input');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (q) runSearch(q, false);
    else closeSearch();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeSearch();
  });
  input.addEventListener('search', () => {
    if (!input.value.trim()) closeSearch(); // the field's own clear button
  });
  $('search-close').addEventListener('click', closeSearch);
  $('search-more').addEventListener('click', () => {
    if (!search.loading) runSearch(search.q, true);
  });
}
