// Reply: "Reply" in a message's menu puts a quote of it above the composer;
// the next message sent in that conversation carries ReplyTo. A reply's
// bubble shows the quote (sender and a snippet, or only that the original
// was recalled or cannot be read); clicking it jumps to the original,
// loading earlier history until it is there.

import { loadEarlier } from './conversation.js';
import { registerBubblePart, registerMessageAction, registerOutgoingFields } from './hooks.js';
import { $, input, messagesEl } from './dom.js';
import { EMOJI, IMAGE, TEXT, VOICE } from './constants.js';
import { currentConv } from './convs.js';
import { me, state } from './state.js';
import { nameOf as shownNameOf } from './names.js';
import { el, toast } from './view.js';
import { t } from './i18n.js';

const SNIPPET = 120;
let target = null; // { key, msg }
let bar = null;

function describe(media, content) {
  if (media === TEXT || media === EMOJI) return (content || '').slice(0, SNIPPET);
  if (media === IMAGE) return t('[picture]');
  if (media === VOICE) return t('[voice clip]');
  return t('[attachment]');
}

function nameOf(userId) {
  return userId === me.ID ? t('You') : shownNameOf(userId);
}

// What a quote shows: the server's resolution, or this page's own copy of
// the original when the server could not say (a live frame for every member).
function quoteOf(conv, msg) {
  const id = msg.ReplyTo || (msg.extra && msg.extra.ReplyTo);
  if (!id) return null;
  const reply = msg.Reply || { Id: id };
  const local = conv.messages.get(id);
  if (reply.Recalled || (local && local.Recalled)) return { id, text: t('message recalled'), muted: true };
  if (reply.UserId) return { id, userId: reply.UserId, who: nameOf(reply.UserId), text: describe(reply.Media, reply.Snippet) };
  if (local) return { id, userId: local.UserId, who: nameOf(local.UserId), text: describe(local.Media, local.Content) };
  return { id, text: reply.Unavailable ? t('message unavailable') : t('an earlier message'), muted: true };
}

function quoteLabel(who, text) {
  return t('Reply to {who}: {text}. Show the original', { who, text });
}

// The quotes of user `userId`'s messages under `root` with the name known now (namepaint.js).
export function renameQuotes(root, userId) {
  for (const quote of root.querySelectorAll(`.quote[data-quote-user="${Number(userId)}"]`)) {
    const who = nameOf(userId);
    quote.querySelector('.quote-who').textContent = who;
    quote.setAttribute('aria-label', quoteLabel(who, quote.querySelector('.quote-text').textContent));
  }
}

function quoteNode(conv, msg) {
  const quote = quoteOf(conv, msg);
  if (!quote) return null;
  return el('button', {
    type: 'button', className: `quote${quote.muted ? ' muted' : ''}`,
    dataset: { replyTo: quote.id, ...(quote.userId && quote.userId !== me.ID ? { quoteUser: quote.userId } : {}) },
    'aria-label': quote.who ? quoteLabel(quote.who, quote.text) : t('Reply to {text}', { text: quote.text }),
    onclick: () => jumpTo(conv, quote.id),
  }, quote.who ? el('span', { className: 'quote-who', text: quote.who }) : null,
  el('span', { className: 'quote-text', text: quote.text }));
}

// Scroll to message `id` of the open conversation (loading earlier pages as needed) and flash it.
export async function jumpTo(conv, id) {
  for (let rounds = 0; rounds < 200 && !conv.messages.has(id) && conv.hasMore; rounds += 1) {
    if (state.current !== conv.key) return;
    if (conv.loadingEarlier) await new Promise((resolve) => { setTimeout(resolve, 100); });
    else await loadEarlier(conv);
  }
  const node = messagesEl.querySelector(`.msg[data-id="${Number(id)}"]`);
  if (!node) {
    toast(t('The original message is not available.'));
    return;
  }
  conv.stick = false;
  node.scrollIntoView({ block: 'center' });
  node.classList.remove('flash');
  void node.offsetWidth; // restart the animation
  node.classList.add('flash');
  const bubble = node.querySelector('.bubble');
  if (bubble) {
    bubble.setAttribute('tabindex', '-1');
    bubble.focus({ preventScroll: true });
  }
}

function showBar() {
  const conv = currentConv();
  const on = !!target && !!conv && target.key === conv.key;
  bar.hidden = !on;
  if (!on) return;
  const { msg } = target;
  bar.querySelector('.quote-who').textContent = t('Replying to {name}', { name: nameOf(msg.UserId) });
  bar.querySelector('.quote-text').textContent = describe(msg.Media, msg.Content);
}

function cancel() {
  target = null;
  showBar();
}

export function initReplies() {
  bar = el('div', { className: 'reply-bar', id: 'reply-bar', hidden: true, role: 'status' },
    el('span', { className: 'reply-bar-quote' },
      el('span', { className: 'quote-who' }), el('span', { className: 'quote-text' })),
    el('button', { type: 'button', className: 'link reply-cancel', text: '×', 'aria-label': t('Cancel the reply'), onclick: cancel }));
  $('composer').before(bar);
  registerMessageAction({
    id: 'reply',
    label: t('Reply'),
    when: (msg, conv) => !msg.Recalled && !conv.thread, // a thread's panel: its composer answers there
    run: (msg, conv) => {
      target = { key: conv.key, msg };
      showBar();
      input.focus();
    },
  });
  registerOutgoingFields((conv) => {
    if (!target || target.key !== conv.key || conv.thread) return null;
    const fields = { ReplyTo: target.msg.Id };
    cancel(); // one reply per quote
    return fields;
  });
  registerBubblePart((msg, conv) => quoteNode(conv, msg), { where: 'top' });
  window.addEventListener('hashchange', showBar);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && target) cancel();
  });
}
