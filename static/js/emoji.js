// A Unicode emoji picker: no image packs, nothing to download.

import { t } from './i18n.js';

export const EMOJI = [
  ['😀', t('grinning face')], ['😂', t('tears of joy')], ['🙂', t('slight smile')], ['😉', t('wink')],
  ['😍', t('heart eyes')], ['😘', t('kiss')], ['😎', t('sunglasses')], ['🤔', t('thinking')],
  ['😅', t('sweat smile')], ['😭', t('crying')], ['😡', t('angry')], ['😴', t('sleeping')],
  ['🤗', t('hug')], ['🙄', t('eye roll')], ['😱', t('scream')], ['🥳', t('party face')],
  ['👍', t('thumbs up')], ['👎', t('thumbs down')], ['👏', t('clap')], ['🙏', t('thanks')],
  ['👋', t('wave')], ['💪', t('strong')], ['🤝', t('handshake')], ['✌️', t('victory')],
  ['❤️', t('red heart')], ['💔', t('broken heart')], ['🔥', t('fire')], ['✨', t('sparkles')],
  ['🎉', t('party popper')], ['🎂', t('birthday cake')], ['☕', t('coffee')], ['🍺', t('beer')],
  ['🍕', t('pizza')], ['🍜', t('noodles')], ['🍎', t('apple')], ['🌹', t('rose')],
  ['☀️', t('sun')], ['🌧️', t('rain')], ['⭐', t('star')], ['🌙', t('moon')],
  ['🐶', t('dog')], ['🐱', t('cat')], ['🐼', t('panda')], ['🚀', t('rocket')],
  ['✅', t('check mark')], ['❌', t('cross mark')], ['❓', t('question')], ['💯', t('hundred')],
];

// True when `text` is nothing but a few emoji (sent as Media 2, shown large).
export function onlyEmoji(text) {
  const trimmed = text.replace(/\s+/g, '');
  if (!trimmed || [...trimmed].length > 16) return false;
  return /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f)+$/u.test(trimmed) && /\p{Extended_Pictographic}/u.test(trimmed);
}

export function setupEmojiPicker(button, panel, input) {
  for (const [char, name] of EMOJI) {
    const choice = document.createElement('button');
    choice.type = 'button';
    choice.className = 'emoji-choice';
    choice.textContent = char;
    choice.setAttribute('aria-label', name);
    choice.title = name;
    choice.addEventListener('click', () => insertAtCursor(input, char));
    panel.append(choice);
  }
  const setOpen = (open) => {
    panel.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) panel.querySelector('button').focus();
  };
  button.addEventListener('click', () => setOpen(panel.hidden));
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault(); // Esc closes the picker, not what holds it (a thread's panel)
      setOpen(false);
      button.focus();
    }
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 };
    if (event.key in moves) {
      const all = [...panel.querySelectorAll('button')];
      const at = all.indexOf(document.activeElement);
      const next = all[Math.max(0, Math.min(all.length - 1, at + moves[event.key]))];
      if (next) next.focus();
      event.preventDefault();
    }
  });
  document.addEventListener('click', (event) => {
    if (!panel.hidden && !panel.contains(event.target) && event.target !== button) setOpen(false);
  });
  return { close: () => setOpen(false) };
}

function insertAtCursor(input, text) {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? input.value.length;
  input.value = input.value.slice(0, start) + text + input.value.slice(end);
  const at = start + text.length;
  input.setSelectionRange(at, at);
  input.dispatchEvent(new Event('input'));
}
