// Sending: the composer (text, emoji, pictures, voice), each outgoing
// message's visible state (sending, uploading, failed + Retry), and the
// typing frames.

import * as api from './api.js';
import { onlyEmoji, setupEmojiPicker } from './emoji.js';
import { outgoingFields } from './hooks.js';
import { composing, useEmojiPicker } from './keys.js';
import { renderMessages } from './messages.js';
import { $, input, root } from './dom.js';
import { EMOJI, IMAGE, PRIVATE, SEND_TIMEOUT_MS, TEXT, TYPING_EVERY_MS, VOICE, maxUploadBytes } from './constants.js';
import { currentConv } from './convs.js';
import { me, state } from './state.js';
import { toast } from './view.js';
import { VoiceRecorder } from './voice.js';
import { num, t } from './i18n.js';

function newClientMsgId() {
  const random = Math.random().toString(36).slice(2, 10);
  return `c${me.ID}-${Date.now().toString(36)}-${random}`;
}

export function queueOutgoing(conv, fields) {
  const msg = {
    pending: true, conv: conv.pendingKey || conv.key, ClientMsgId: newClientMsgId(), UserId: me.ID, Type: conv.type,
    TargetId: conv.id, Media: TEXT, Content: '', Url: '', Amount: 0, CreateTime: Date.now(),
    status: 'sending', error: '', sentAt: 0, ...fields,
  };
  msg.extra = outgoingFields(conv, msg);
  state.pending.set(msg.ClientMsgId, msg);
  return msg;
}

function frameOf(msg) {
  return {
    ...msg.extra, Type: msg.Type, TargetId: msg.TargetId, Media: msg.Media, Content: msg.Content, Url: msg.Url,
    Amount: msg.Amount, ClientMsgId: msg.ClientMsgId,
  };
}

// Sent now if the socket is open; otherwise on the next (re)connect.
export function transmit(msg) {
  msg.status = 'sending';
  msg.error = '';
  msg.sentAt = Date.now();
  if (state.socket) state.socket.send(frameOf(msg));
  rerender(msg.conv);
}

// A refusal (4xx: too long, wrong type, not allowed) will be refused again:
// no Retry then. No answer, a lost connection, 5xx, 408 or 429 may pass later.
export function retryHelps(code) {
  return !(code >= 400 && code < 500 && code !== 408 && code !== 429);
}

export function fail(msg, why, code = 0) {
  msg.status = 'failed';
  msg.error = why;
  msg.retryable = retryHelps(code);
  rerender(msg.conv);
}

export function retry(msg) {
  if (!msg.retryable) return;
  if (msg.file && !msg.Url) upload(msg);
  else transmit(msg);
}

// A failed message of mine taken off the screen (it was never stored).
export function discard(msg) {
  state.pending.delete(msg.ClientMsgId);
  if (msg.localUrl) URL.revokeObjectURL(msg.localUrl);
  rerender(msg.conv);
}

// A message of another composer (a thread's: its conv has a pendingKey) is
// drawn by its owner, told by a `ginchat:outgoing` event (detail: the key).
function rerender(key) {
  const conv = state.convs.get(key);
  if (conv) renderMessages(conv);
  else document.dispatchEvent(new CustomEvent('ginchat:outgoing', { detail: key }));
}

function autoGrow() {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

async function upload(msg) {
  msg.status = 'uploading';
  msg.error = '';
  rerender(msg.conv);
  try {
    // A feature module may bring its own upload (files.js: POST /attach/file with progress).
    msg.Url = msg.uploadWith ? await msg.uploadWith(msg) : await api.upload(msg.file, msg.filename);
  } catch (err) {
    fail(msg, err.status === 501 ? t('uploads are not available on this server') : err.message, err.status);
    return;
  }
  transmit(msg);
}

// The picture types the server takes, as the chooser's accept attribute lists them.
function acceptedPicture(file) {
  const types = $('image-input').accept.split(',').map((t) => t.trim());
  return types.includes(file.type);
}

// --- the length of a text: counted as the server counts (code points) --------------
const maxChars = Number(root.dataset.maxChars) || 4096;
const SHOW_COUNT_FROM = Math.floor(maxChars * 0.9);

function charCount(text) {
  return [...text].length;
}

// Why `text` may not be sent (too long: refused whole, nothing is cut), or ''.
export function lengthError(text) {
  const count = charCount(text);
  if (count <= maxChars) return '';
  return t('Not sent: {n} characters, the limit is {max}. Shorten it or send it in parts.', { n: num(count), max: num(maxChars) });
}

// Text typed into a composer, queued and sent to `conv` (a conversation or a thread's view of it).
export function sendText(conv, text, fields = {}) {
  const msg = queueOutgoing(conv, { Media: onlyEmoji(text) ? EMOJI : TEXT, Content: text, ...fields });
  conv.stick = true;
  transmit(msg);
  return msg;
}

// Pictures chosen in a composer: those the server takes are uploaded and sent to `conv`.
export function sendPictures(conv, files) {
  for (const file of files) {
    if (acceptedPicture(file)) sendFile(conv, file, { Media: IMAGE }, file.name);
    else toast(t('{name} is not a picture this server takes: choose a PNG, JPEG, GIF or WebP file.', { name: file.name }));
  }
}

function showCount() {
  const count = charCount(input.value);
  const note = $('char-count');
  const over = count - maxChars;
  note.hidden = count < SHOW_COUNT_FROM;
  note.classList.toggle('over', over > 0);
  note.textContent = over > 0 ? t('{n} too many', { n: num(over) }) : `${num(count)} / ${num(maxChars)}`;
  if (over > 0) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  if (over <= 0) composerNote('');
}

// A line above the composer saying why nothing was sent (empty: hidden).
export function composerNote(text) {
  const note = $('composer-note');
  note.textContent = text;
  note.hidden = !text;
}

// A picture, voice clip (or, for a feature module, any file): uploaded, then sent.
export function sendFile(conv, file, fields, filename) {
  if (file.size > maxUploadBytes) {
    toast(t('{name} is larger than {n} MiB', { name: filename || file.name, n: Math.round(maxUploadBytes / 1048576) }));
    return;
  }
  const msg = queueOutgoing(conv, { ...fields, localUrl: URL.createObjectURL(file), file, filename, status: 'uploading' });
  conv.stick = true;
  upload(msg);
}

let emojiPicker = null;

export function initComposer() {
  setInterval(() => {
    if (!state.socket || !state.socket.isOpen) return;
    const now = Date.now();
    for (const msg of state.pending.values()) {
      if (msg.status === 'sending' && msg.sentAt && now - msg.sentAt > SEND_TIMEOUT_MS) fail(msg, t('no answer from the server'));
    }
  }, 1000);

  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const conv = currentConv();
    const text = input.value;
    if (!conv || !text.trim()) return;
    const tooLong = lengthError(text);
    if (tooLong) { // refused here, whole: nothing is cut
      composerNote(tooLong);
      input.focus();
      return;
    }
    composerNote('');
    input.value = '';
    autoGrow();
    showCount();
    if (emojiPicker) emojiPicker.close(); // sent: the panel has done its job
    sendText(conv, text);
  });

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !composing(event)) {
      event.preventDefault();
      $('composer').requestSubmit();
    }
  });
  input.addEventListener('input', autoGrow);
  input.addEventListener('input', showCount);
  input.addEventListener('input', () => {
    const conv = currentConv();
    if (!conv || conv.type !== PRIVATE || !input.value.trim()) return;
    const now = Date.now();
    if (now - (conv.typingSent || 0) < TYPING_EVERY_MS) return;
    conv.typingSent = now;
    if (state.socket) state.socket.send({ Type: 11, TargetId: conv.id });
  });

  $('image-input').addEventListener('change', (event) => {
    const conv = currentConv();
    const files = [...event.target.files];
    event.target.value = '';
    if (conv) sendPictures(conv, files);
  });

  new VoiceRecorder($('voice-btn'), $('rec-status'), (blob, seconds, ext) => {
    const conv = currentConv();
    if (conv) sendFile(conv, blob, { Media: VOICE, Amount: seconds }, `voice.${ext}`);
  });

  emojiPicker = setupEmojiPicker($('emoji-btn'), $('emoji-panel'), input);
  useEmojiPicker(emojiPicker);
}
