// The open conversation: routing by location.hash, its header, loading its
// history (latest, then earlier pages on scrolling up) and marking it read.

import * as api from './api.js';
import { currentTab, renderLists, scheduleRefresh, selectTab } from './convlist.js';
import { markSeen, placeDivider, updateJump } from './catchup.js';
import { renderMessages } from './messages.js';
import { loadReaders } from './receipts.js';
import { $, input, messagesEl, root } from './dom.js';
import { GROUP, PAGE, PRIVATE } from './constants.js';
import { merge } from './convs.js';
import { reads, state } from './state.js';
import { fillAvatar, toast } from './view.js';
import { t } from './i18n.js';

export function route() {
  const conv = state.convs.get(location.hash.slice(1));
  if (conv) openConv(conv);
  else closeConv();
}

export function renderHeader() {
  const conv = state.current && state.convs.get(state.current);
  if (!conv) return;
  fillAvatar($('conv-avatar'), { name: conv.name, url: conv.avatar, id: conv.id, group: conv.type === GROUP });
  $('conv-title').textContent = conv.name;
  let sub = conv.type === GROUP
    ? t(conv.members === 1 ? 'Group #{id} · {n} member' : 'Group #{id} · {n} members', { id: conv.id, n: conv.members })
    : `${conv.online ? t('online') : t('offline')}${conv.handle && conv.handle !== conv.name ? ` · @${conv.handle}` : ''}`;
  if (conv.type === PRIVATE && conv.typingUntil > Date.now()) sub = t('typing…');
  $('conv-sub').textContent = sub;
  $('conv-sub').dataset.typing = conv.typingUntil > Date.now() ? '1' : '';
  $('friend-tools').hidden = conv.type !== PRIVATE;
  // A colleague (issue 27) is no friend to remove, but one to add.
  $('remove-friend-btn').hidden = conv.type !== PRIVATE || conv.friend === false;
  $('add-friend-btn').hidden = conv.type !== PRIVATE || conv.friend !== false;
  $('group-tools').hidden = conv.type !== GROUP;
  $('group-owner-tools').hidden = conv.type !== GROUP || conv.role !== 'owner';
  document.dispatchEvent(new CustomEvent('ginchat:header', { detail: conv }));
}

async function openConv(conv) {
  const switching = state.current !== conv.key;
  state.current = conv.key;
  root.classList.add('in-conv');
  $('conv').hidden = false;
  $('conv-empty').hidden = true;
  if (currentTab() === 'me') selectTab('chats');
  renderHeader();
  renderLists();
  if (switching) {
    scheduleRefresh(); // fresh member counts and online dots for the header
    messagesEl.replaceChildren();
    conv.stick = true;
    conv.readAtOpen = reads.get(conv.key); // the divider stays above what was unread then
    conv.dividerAt = 0;
    if (conv.loaded) placeDivider(conv, conv.readAtOpen);
    renderMessages(conv, 'open');
    if (window.matchMedia('(pointer: fine)').matches) input.focus();
  }
  if (switching) {
    $('group-panel').hidden = true;
    loadReaders(conv);
  }
  if (!conv.loaded) await loadLatest(conv);
  markSeen();
}

function closeConv() {
  state.current = null;
  root.classList.remove('in-conv');
  $('conv').hidden = true;
  $('conv-empty').hidden = false;
  renderLists();
  updateJump();
}

function loadLatest(conv) {
  if (!conv.loading) {
    // Enough to reach the first unread message (the server gives up to 200).
    const limit = Math.min(200, Math.max(PAGE, conv.unread + 5));
    conv.loading = api.get('/message/history', { type: conv.type, targetId: conv.id, limit, inChat: 1 })
      .then((data) => {
        const rows = data.Rows || [];
        merge(conv, rows);
        conv.loaded = true;
        conv.hasMore = rows.length >= limit;
        if (state.current === conv.key) placeDivider(conv, conv.readAtOpen ?? reads.get(conv.key));
        renderMessages(conv, 'open');
      })
      .catch((err) => toast(t('Could not load the history: {error}', { error: err.message })))
      .finally(() => { conv.loading = null; });
  }
  return conv.loading;
}

export async function loadEarlier(conv) {
  if (!conv.loaded || !conv.hasMore || conv.loadingEarlier || !conv.messages.size) return;
  conv.loadingEarlier = true;
  renderMessages(conv, 'anchor');
  try {
    const before = Math.min(...conv.messages.keys());
    const data = await api.get('/message/history', { type: conv.type, targetId: conv.id, before, limit: PAGE, inChat: 1 });
    const rows = data.Rows || [];
    merge(conv, rows);
    conv.hasMore = rows.length >= PAGE;
  } catch (err) {
    toast(t('Could not load earlier messages: {error}', { error: err.message }));
  } finally {
    conv.loadingEarlier = false;
  }
  renderMessages(conv, 'anchor');
}

export function enlarge(src) {
  const box = $('lightbox');
  $('lightbox-img').src = src;
  if (typeof box.showModal === 'function') box.showModal();
  else window.open(src, '_blank', 'noopener');
}

// The header's actions: inline on a wide screen, a menu (⋮) on a phone.
export function setToolsOpen(open, refocus) {
  $('conv-tools').classList.toggle('open', open);
  $('conv-menu-btn').setAttribute('aria-expanded', String(open));
  if (open) {
    const first = [...$('conv-tools').querySelectorAll('button')].find((b) => b.getClientRects().length);
    if (first) first.focus();
  } else if (refocus) {
    $('conv-menu-btn').focus();
  }
}

export function toolsOpen() {
  return $('conv-tools').classList.contains('open');
}

export function initConversation() {
  $('conv-menu-btn').addEventListener('click', (event) => {
    event.stopPropagation();
    setToolsOpen(!toolsOpen());
  });
  $('conv-tools').addEventListener('click', (event) => {
    if (event.target.closest('button')) setToolsOpen(false);
  });
  document.addEventListener('click', (event) => {
    if (toolsOpen() && !$('conv-tools').contains(event.target)) setToolsOpen(false);
  });
  $('lightbox').addEventListener('click', (event) => {
    if (event.target === $('lightbox')) $('lightbox').close();
  });
  messagesEl.addEventListener('scroll', () => {
    const conv = state.current && state.convs.get(state.current);
    if (!conv) return;
    conv.stick = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 60;
    if (messagesEl.scrollTop < 80) loadEarlier(conv);
  });
  window.addEventListener('hashchange', route);
  document.addEventListener('ginchat:lists-refreshed', renderHeader); // fresh names, members, presence
}
