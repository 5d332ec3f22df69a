// Catching up in the open conversation (issue 15):
// - it opens at the first unread message, under a "New messages" divider;
// - a message counts as read only once it has been on screen (mostly in view)
//   while the tab is visible: an IntersectionObserver and visibilityState;
// - scrolled up, a "jump to latest" button shows how many are still unread.

import { $, messagesEl } from './dom.js';
import { currentConv } from './convs.js';
import { me, reads, state } from './state.js';
import { t } from './i18n.js';

const watched = new WeakMap(); // bubble node -> { key, id } of an unread message
const inView = new Set(); // watched nodes on screen now
let observer = null;

// Unread messages of others among those loaded (for the open conversation).
export function localUnread(conv) {
  const upTo = reads.get(conv.key);
  let count = 0;
  for (const msg of conv.messages.values()) {
    if (msg.UserId !== me.ID && !msg.Recalled && msg.Id > upTo) count += 1;
  }
  return count;
}

// On opening: the first unread message of others gets the divider above it.
export function placeDivider(conv, readUpTo) {
  const first = [...conv.messages.values()]
    .filter((msg) => msg.UserId !== me.ID && !msg.Recalled && msg.Id > readUpTo)
    .reduce((low, msg) => (!low || msg.Id < low.Id ? msg : low), null);
  conv.dividerAt = first ? first.Id : 0;
}

// Called for each bubble drawn: an unread message of someone else is watched.
export function watchSeen(conv, msg, node) {
  if (!observer || msg.pending || msg.UserId === me.ID || msg.Id <= reads.get(conv.key)) return;
  watched.set(node, { key: conv.key, id: msg.Id });
  observer.observe(node);
}

function onScreen(entry) {
  if (!entry.isIntersecting) return false;
  const box = entry.rootBounds;
  // Mostly in view; a bubble taller than half the pane counts once it fills half of it.
  return entry.intersectionRatio >= 0.6 || (!!box && entry.intersectionRect.height >= box.height * 0.5);
}

// The observer's word may be a frame old (the pane was just redrawn and
// scrolled): measured again here, by the same rule.
function shownNow(node) {
  const box = messagesEl.getBoundingClientRect();
  const rect = node.getBoundingClientRect();
  const shown = Math.min(rect.bottom, box.bottom) - Math.max(rect.top, box.top);
  return shown > 0 && (shown >= rect.height * 0.6 || shown >= box.height * 0.5);
}

// What is on screen, in a visible tab, is read: the cursor moves up to it.
export function markSeen() {
  const conv = currentConv();
  // Before the history is in, the list's last message stands alone at the bottom:
  // on screen, but not where the reader will start.
  if (!conv || !conv.loaded || document.visibilityState !== 'visible') return;
  let top = 0;
  for (const node of [...inView]) {
    const seen = watched.get(node);
    if (!node.isConnected || !seen || seen.key !== conv.key) inView.delete(node);
    else if (shownNow(node)) top = Math.max(top, seen.id);
  }
  if (top > reads.get(conv.key)) {
    reads.markRead(conv.key, top);
    for (const node of [...inView]) {
      if (watched.get(node).id <= top) {
        observer.unobserve(node);
        inView.delete(node);
      }
    }
  }
  syncUnread(conv);
}

// The open conversation's count follows what has been seen.
export function syncUnread(conv) {
  if (conv.loaded && state.current === conv.key) {
    const count = localUnread(conv);
    if (count !== conv.unread) {
      conv.unread = count;
      document.dispatchEvent(new CustomEvent('ginchat:lists-changed')); // chat.js: the lists draw the count
    }
  }
  updateJump();
}

function awayFromBottom() {
  return messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight > 120;
}

export function updateJump() {
  const conv = currentConv();
  const button = $('jump-latest');
  button.hidden = !conv || !awayFromBottom();
  if (button.hidden) return;
  const count = conv.loaded ? localUnread(conv) : conv.unread;
  const badge = $('jump-count');
  badge.hidden = !count;
  badge.textContent = count > 99 ? '99+' : String(count);
  button.setAttribute('aria-label', count ? t('Jump to the latest message, {n} new', { n: count }) : t('Jump to the latest message'));
}

export function jumpToLatest() {
  const conv = currentConv();
  if (conv) conv.stick = true;
  messagesEl.scrollTop = messagesEl.scrollHeight;
  updateJump();
}

// 'open' mode of renderMessages: the divider near the top, or the newest.
export function scrollToDivider() {
  const divider = messagesEl.querySelector('.unread-divider');
  if (!divider) return false;
  messagesEl.scrollTop += divider.getBoundingClientRect().top - messagesEl.getBoundingClientRect().top - 8;
  return true;
}

export function initCatchUp() {
  observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (onScreen(entry)) inView.add(entry.target);
      else inView.delete(entry.target);
    }
    markSeen();
  }, { root: messagesEl, threshold: [0, 0.25, 0.5, 0.6, 0.8, 1] });
  messagesEl.addEventListener('scroll', updateJump, { passive: true });
  $('jump-latest').addEventListener('click', () => {
    jumpToLatest();
    $('msg-input').focus();
  });
  document.addEventListener('visibilitychange', markSeen);
}
