// The keyboard and screen readers (issue 15): Esc closes what is open, one
// thing per press (the message menu, the header's menu, the emoji panel, the
// group panel); new messages from others are announced in a polite live
// region (the message pane itself is not live: it is redrawn as a whole).

import { setToolsOpen, toolsOpen } from './conversation.js';
import { closeMenu, menuOpen } from './msgmenu.js';
import { $ } from './dom.js';
import { GROUP } from './constants.js';
import { me, state } from './state.js';
import { shownName, whenKnown } from './names.js';
import { t } from './i18n.js';

// An Enter that ends an input method's composition (pinyin, kana...) picks
// the candidate; it never sends. Chromium and Firefox say isComposing;
// Safari reports that key as keyCode 229 with isComposing already false.
export function composing(event) {
  return event.isComposing || event.keyCode === 229;
}

let emoji = null; // { close } from setupEmojiPicker

export function useEmojiPicker(picker) {
  emoji = picker;
}

function closeOne() {
  if (menuOpen()) {
    closeMenu(true);
    return true;
  }
  if (toolsOpen()) {
    setToolsOpen(false, true);
    return true;
  }
  if (!$('emoji-panel').hidden && emoji) {
    emoji.close();
    $('emoji-btn').focus();
    return true;
  }
  if (!$('group-panel').hidden) {
    $('group-panel').hidden = true;
    $('members-btn').setAttribute('aria-expanded', 'false');
    $('members-btn').focus();
    return true;
  }
  return false;
}

// "Bob: see you at 5" (the open conversation) or "Bob in Team: …" (another),
// by display name: someone not known yet is looked up first (names.js), the
// announcements keeping their order.
let announced = Promise.resolve();

export function announce(conv, msg) {
  if (!state.ready || msg.UserId === me.ID) return;
  const known = whenKnown(msg.UserId);
  const here = state.current === conv.key;
  announced = announced.then(() => known).then((user) => say(conv, msg, shownName(user), here));
}

function say(conv, msg, who, here) {
  const what = msg.Content && msg.Media <= 2 ? msg.Content.slice(0, 200) : t('a new message');
  let text;
  if (conv.type === GROUP) {
    text = t(here ? '{who} in {group}: {what}' : 'New message from {who} in {group}: {what}', { who, group: conv.name, what });
  } else {
    text = t(here ? '{who}: {what}' : 'New message from {who}: {what}', { who, what });
  }
  const box = $('announcer');
  box.textContent = '';
  // A change of text is what a live region reads: set it on the next frame.
  requestAnimationFrame(() => { box.textContent = text; });
}

export function initKeys() {
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.defaultPrevented || document.querySelector('dialog[open]')) return;
    if (closeOne()) event.preventDefault();
  });
}
