// Sending: the composer (text, emoji, pictures, voice), each outgoing
// message's visible state (sending, uploading, failed + Retry), and the
// typing frames.

import * as api from './api.js';
import { onlyEmoji, setupEmojiPicker } from './emoji.js';
import { outgoingFields } from './hooks.js';
import { renderMessages } from './messages.js';
import {
  $, EMOJI, IMAGE, PRIVATE, SEND_TIMEOUT_MS, TEXT, TYPING_EVERY_MS, VOICE, currentConv, input, maxUploadBytes, me,
  state, toast,
} from './state.js';
import { VoiceRecorder } from './voice.js';

function newClientMsgId() {
  const random = Math.random().toString(36).slice(2, 10);
  return `c${me.ID}-${Date.now().toString(36)}-${random}`;
}

export function queueOutgoing(conv, fields) {
  const msg = {
    pending: true, conv: conv.key, ClientMsgId: newClientMsgId(), UserId: me.ID, Type: conv.type,
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

export function fail(msg, why) {
  msg.status = 'failed';
  msg.error = why;
  rerender(msg.conv);
}

export function retry(msg) {
  if (msg.file && !msg.Url) upload(msg);
  else transmit(msg);
}

function rerender(key) {
  const conv = state.convs.get(key);
  if (conv) renderMessages(conv);
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
    msg.Url = await api.upload(msg.file, msg.filename);
  } catch (err) {
    fail(msg, err.status === 501 ? 'uploads are not available on this server' : err.message);
    return;
  }
  transmit(msg);
}

// A picture, voice clip (or, for a feature module, any file): uploaded, then sent.
export function sendFile(conv, file, fields, filename) {
  if (file.size > maxUploadBytes) {
    toast(`${filename || file.name} is larger than ${Math.round(maxUploadBytes / 1048576)} MiB`);
    return;
  }
  const msg = queueOutgoing(conv, { ...fields, localUrl: URL.createObjectURL(file), file, filename, status: 'uploading' });
  conv.stick = true;
  upload(msg);
}

export function initComposer() {
  setInterval(() => {
    if (!state.socket || !state.socket.isOpen) return;
    const now = Date.now();
    for (const msg of state.pending.values()) {
      if (msg.status === 'sending' && msg.sentAt && now - msg.sentAt > SEND_TIMEOUT_MS) fail(msg, 'no answer from the server');
    }
  }, 1000);

  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const conv = currentConv();
    const text = input.value;
    if (!conv || !text.trim()) return;
    const msg = queueOutgoing(conv, { Media: onlyEmoji(text) ? EMOJI : TEXT, Content: text });
    input.value = '';
    autoGrow();
    conv.stick = true;
    transmit(msg);
  });

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $('composer').requestSubmit();
    }
  });
  input.addEventListener('input', autoGrow);
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
    if (!conv) return;
    for (const file of files) sendFile(conv, file, { Media: IMAGE }, file.name);
  });

  new VoiceRecorder($('voice-btn'), $('rec-status'), (blob, seconds, ext) => {
    const conv = currentConv();
    if (conv) sendFile(conv, blob, { Media: VOICE, Amount: seconds }, `voice.${ext}`);
  });

  setupEmojiPicker($('emoji-btn'), $('emoji-panel'), input);
}
