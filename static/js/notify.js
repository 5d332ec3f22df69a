// Alerts for new messages (issue 15): desktop notifications while the tab is
// hidden (permission asked only when the user clicks "Enable notifications",
// or "Turn on" in the offer made once, after the first message that arrives
// while the tab is hidden: issue 27),
// an optional beep made with WebAudio, a per-conversation mute kept on the
// server (POST /contact/mute: every device of mine follows it), and the
// unread total drawn on the favicon.

import * as api from './api.js';
import { registerChatRowPart, registerFrameHandler } from './hooks.js';
import { onUnreadTotal } from './unread.js';
import { insecurePage, secureNote } from './secure.js';
import { callPreview } from './calltext.js';
import { shownName, userInfo } from './names.js';
import { $ } from './dom.js';
import { EMOJI, GROUP, IMAGE, PRIVATE, TEXT, VOICE } from './constants.js';
import { convKey, convOf, currentConv } from './convs.js';
import { me, state } from './state.js';
import { el, toast } from './view.js';
import { t } from './i18n.js';

const SETTINGS_KEY = 'ginchat:alerts';
const OFFERED_KEY = 'ginchat:notify-offered'; // the offer was answered (either way): never again
const FRESH_MS = 60000; // older messages (a replay after a long sleep) make no noise
const HERE_SKEW_MS = 2000; // the server's clock and this one's may differ this much

function settings() {
  try {
    return { notify: false, sound: false, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}') };
  } catch (err) {
    return { notify: false, sound: false };
  }
}

function save(changes) {
  const next = { ...settings(), ...changes };
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(next));
  document.dispatchEvent(new CustomEvent('ginchat:alerts-changed')); // the settings view redraws
  return next;
}

export function notificationsSupported() {
  return typeof window.Notification === 'function';
}

export function notificationsOn() {
  return notificationsSupported() && Notification.permission === 'granted' && settings().notify;
}

// --- the beep ------------------------------------------------------------------------
let audio = null;
export function beep() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  if (!audio) audio = new Context();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  const now = audio.currentTime;
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.type = 'sine';
  tone.frequency.setValueAtTime(880, now);
  tone.frequency.setValueAtTime(1320, now + 0.09);
  gain.gain.setValueAtTime(0.0001, now);
  gain.gain.exponentialRampToValueAtTime(0.15, now + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
  tone.connect(gain).connect(audio.destination);
  tone.start(now);
  tone.stop(now + 0.26);
}

// --- new messages ----------------------------------------------------------------------
const alerted = new Set();

function preview(msg) {
  const what = {
    [TEXT]: () => (msg.Content || '').replace(/\s+/g, ' ').slice(0, 120),
    [EMOJI]: () => msg.Content || '',
    [VOICE]: () => `🎤 ${t('Voice clip')}`,
    [IMAGE]: () => `🖼 ${t('Picture')}`,
    5: () => `📎 ${(msg.File && msg.File.Name) || t('File')}`, // Media 5: a file of any type
    7: () => callPreview(msg, me.ID), // a call's record (issue 29)
    6: () => `🗂 ${t('Chat record: {title}', { title: (msg.Record && msg.Record.Title) || '' })}`, // issue 28
  }[msg.Media];
  return what ? what() : t('New message');
}

function onMessage(msg) {
  if (!Number.isInteger(msg.Id) || msg.UserId === me.ID || msg.Recalled || alerted.has(msg.Id)) return;
  if (!state.ready || Date.now() - (msg.CreateTime || 0) > FRESH_MS) return;
  alerted.add(msg.Id);
  const [type, id] = convOf(msg);
  const conv = state.convs.get(convKey(type, id));
  // A mention of me alerts even in a muted conversation (issue 16 item 5),
  // and so do @all and @here (issue 28: @here only if I was online when it
  // was sent), unless the conversation is muted completely.
  const mentioned = Array.isArray(msg.Mentions) && msg.Mentions.includes(me.ID);
  const broadcast = msg.MentionAll === 'all'
    || (msg.MentionAll === 'here' && !!state.socketOpenedAt && state.socketOpenedAt <= (msg.CreateTime || 0) + HERE_SKEW_MS);
  if (!conv || (conv.muted && !((mentioned || broadcast) && !conv.mutedCompletely))) return;
  // A group's thread-only reply alerts whom it concerns (a mention, @all or @here, my own thread); threads.js counts the rest.
  const root = msg.RootId && !msg.AlsoInChat && type === GROUP && conv.messages.get(msg.RootId);
  if (msg.RootId && !msg.AlsoInChat && type === GROUP && !mentioned && !broadcast && !(root && root.UserId === me.ID)) return;
  if (document.hidden && !notificationsOn()) offerNotifications();
  const watching = !document.hidden && currentConv() === conv;
  if (watching) return;
  const { sound } = settings();
  if (sound) beep();
  if (!document.hidden || !notificationsOn()) return;
  const sender = shownName(userInfo(msg.UserId));
  const title = type === GROUP ? t('{who} in {group}', { who: sender, group: conv.name }) : sender || conv.name;
  try {
    const note = new Notification(title, { body: preview(msg), tag: conv.key, renotify: true });
    note.onclick = () => {
      window.focus();
      location.hash = `#${conv.key}`;
      note.close();
    };
  } catch (err) {
    // Some browsers allow notifications only from a service worker: the sound and the badge remain.
  }
}

// --- the offer (issue 27) ------------------------------------------------------------
// Asked once, politely: not on page load, but when a message has come while
// the tab was hidden, in the page (the browser's own prompt comes only after
// "Turn on"). Either answer is remembered in this browser.
function offerAnswered() {
  try {
    return !!localStorage.getItem(OFFERED_KEY);
  } catch (err) {
    return true; // nowhere to remember "Not now": better not to ask
  }
}

function answerOffer(offer) {
  try {
    localStorage.setItem(OFFERED_KEY, '1');
  } catch (err) {
    // asked again next time
  }
  offer.remove();
}

function offerNotifications() {
  if ($('notify-offer') || offerAnswered() || insecurePage() || !notificationsSupported()) return;
  if (Notification.permission === 'denied') return; // the browser's settings decide, not a prompt
  const topbar = document.querySelector('.shell > .topbar');
  if (!topbar) return;
  const on = el('button', { type: 'button', id: 'notify-offer-on', text: t('Turn on') });
  const later = el('button', { type: 'button', className: 'secondary', id: 'notify-offer-later', text: t('Not now') });
  const offer = el('section', { id: 'notify-offer', className: 'first-tip notify-offer', 'aria-labelledby': 'notify-offer-h' },
    el('div', { className: 'first-tip-text' },
      el('h2', { id: 'notify-offer-h', text: t('Desktop notifications?') }),
      el('p', { text: t('A message came while GinChat was in the background. Get a notification for the next ones? You can change this in Me › Notifications.') })),
    el('div', { className: 'first-tip-actions' }, on, later));
  on.addEventListener('click', async () => {
    answerOffer(offer);
    const answer = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    save({ notify: answer === 'granted' });
    toast(answer === 'granted' ? t('Notifications enabled.') : t('The browser did not allow notifications.'));
  });
  later.addEventListener('click', () => answerOffer(offer));
  // In the flow under the top bar (and its one-line messages), never over anything.
  let after = topbar;
  while (after.nextElementSibling && !after.nextElementSibling.classList.contains('layout')) after = after.nextElementSibling;
  // The conversation gets shorter: one read to its newest message stays there.
  const list = $('messages');
  const atBottom = !!list && list.scrollHeight - list.scrollTop - list.clientHeight < 4;
  after.after(offer);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

// --- mute --------------------------------------------------------------------------------
export async function setMuted(conv, muted, completely = false) {
  try {
    await api.post('/contact/mute', { type: conv.type, targetId: conv.id, muted, completely });
    conv.muted = muted;
    conv.mutedCompletely = muted && completely;
    renderMuteButton();
    document.dispatchEvent(new CustomEvent('ginchat:lists-changed'));
    if (muted && completely) toast(t('{name} is muted completely: not even @all alerts you.', { name: conv.name }));
    else toast(t(muted ? '{name} is muted on all your devices.' : '{name} is no longer muted.', { name: conv.name }));
  } catch (err) {
    toast(err.message);
  }
}

function onNotice(notice) {
  if (notice.Event !== 'muted') return;
  const key = notice.ChatType === GROUP ? convKey(GROUP, notice.GroupId) : convKey(PRIVATE, notice.UserId);
  const conv = state.convs.get(key);
  if (!conv) return;
  conv.muted = !!notice.Muted;
  conv.mutedCompletely = !!notice.Completely;
  renderMuteButton();
  document.dispatchEvent(new CustomEvent('ginchat:lists-changed'));
}

function muteButton() {
  let button = $('mute-btn');
  if (!button) {
    button = el('button', { type: 'button', className: 'link', id: 'mute-btn', 'aria-pressed': 'false', text: t('Mute') });
    button.addEventListener('click', () => {
      const conv = currentConv();
      if (conv) setMuted(conv, !conv.muted);
    });
    const tools = document.querySelector('.conv-tools');
    if (tools) tools.prepend(button);
  }
  return button;
}

// "Mute completely" (issue 28): in a group, not even @all, @here or a mention alerts.
function completeButton() {
  let button = $('mute-completely-btn');
  if (!button) {
    button = el('button', { type: 'button', className: 'link', id: 'mute-completely-btn', 'aria-pressed': 'false' });
    button.addEventListener('click', () => {
      const conv = currentConv();
      if (conv) setMuted(conv, true, !conv.mutedCompletely);
    });
    muteButton().after(button);
  }
  return button;
}

export function renderMuteButton() {
  const conv = currentConv();
  const button = muteButton();
  button.hidden = !conv;
  const complete = completeButton();
  complete.hidden = !conv || conv.type !== GROUP;
  if (conv) {
    complete.textContent = conv.mutedCompletely ? t('Let @all through') : t('Mute completely');
    complete.setAttribute('aria-pressed', String(!!conv.mutedCompletely));
    complete.title = conv.mutedCompletely
      ? t('Muted completely: not even @all, @here or a mention of you alerts')
      : t('Turn off every alert of this group, @all and mentions included');
  }
  if (!conv) return;
  button.textContent = conv.muted ? t('Unmute') : t('Mute');
  button.setAttribute('aria-pressed', String(!!conv.muted));
  button.title = conv.muted ? t('Alerts for this conversation are off on all your devices') : t('Turn off alerts for this conversation');
}

// --- the favicon ----------------------------------------------------------------------
let plainIcon = null;
let plainType = null;
let drawn = -1;
export function drawFaviconCount(total) {
  if (total === drawn) return;
  drawn = total;
  let link = document.querySelector('link[rel~="icon"]');
  if (!link) {
    link = el('link', { rel: 'icon' });
    document.head.append(link);
  }
  if (plainIcon === null) {
    plainIcon = link.getAttribute('href') || '';
    plainType = link.getAttribute('type');
  }
  link.dataset.count = String(total);
  if (!total) {
    if (plainIcon) link.setAttribute('href', plainIcon);
    else link.removeAttribute('href');
    if (plainType) link.setAttribute('type', plainType);
    return;
  }
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 64;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#2563eb';
  ctx.beginPath();
  ctx.arc(32, 32, 30, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#b91c1c';
  ctx.beginPath();
  ctx.arc(44, 20, 20, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.font = 'bold 26px sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(total > 99 ? '99' : String(total), 44, 21);
  link.setAttribute('type', 'image/png');
  link.setAttribute('href', canvas.toDataURL('image/png'));
}

// --- the settings view (Me, Notifications) ----------------------------------------------
export function notificationSettings() {
  const status = el('p', { className: 'form-status', role: 'status', 'aria-live': 'polite' });
  const permission = el('p', { className: 'hint', id: 'notify-state' });
  const enable = el('button', { type: 'button', id: 'enable-notifications' });
  const sound = el('input', { type: 'checkbox', id: 'sound-toggle' });
  const test = el('button', { type: 'button', className: 'secondary', id: 'test-sound', text: t('Play the sound') });
  const draw = () => {
    const on = notificationsOn();
    // On a plain-http LAN address the browser answers "denied" by itself: say what is wrong.
    if (insecurePage()) permission.replaceChildren(secureNote('notifications'));
    else if (!notificationsSupported()) permission.textContent = t('This browser has no desktop notifications.');
    else if (Notification.permission === 'denied') {
      permission.textContent = t('Notifications are blocked for this site: allow them in the browser’s site settings.');
    } else permission.textContent = on ? t('Desktop notifications are on while this tab is hidden.') : t('Desktop notifications are off.');
    enable.textContent = on ? t('Turn notifications off') : t('Enable notifications');
    enable.disabled = insecurePage() || !notificationsSupported() || Notification.permission === 'denied';
    enable.setAttribute('aria-pressed', String(on));
    sound.checked = settings().sound;
  };
  enable.addEventListener('click', async () => {
    if (notificationsOn()) {
      save({ notify: false });
    } else {
      const answer = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
      save({ notify: answer === 'granted' });
      status.textContent = answer === 'granted' ? t('Notifications enabled.') : t('The browser did not allow notifications.');
    }
    draw();
  });
  sound.addEventListener('change', () => {
    save({ sound: sound.checked });
    if (sound.checked) beep();
  });
  test.addEventListener('click', beep);
  document.addEventListener('ginchat:alerts-changed', draw);
  draw();
  return el('div', { className: 'card-form', id: 'notify-box' },
    el('h3', { text: t('Notifications') }),
    permission, enable,
    el('label', { className: 'check' }, sound, ` ${t('Play a sound for new messages')}`),
    test,
    el('p', { className: 'hint', text: t('Mute a conversation from its header: it stays quiet on all your devices.') }),
    status);
}

export function initNotify() {
  registerFrameHandler(PRIVATE, onMessage);
  registerFrameHandler(GROUP, onMessage);
  registerFrameHandler(14, onNotice);
  registerChatRowPart((conv) => (conv.muted
    ? el('span', { className: 'muted-mark', text: '🔕', title: t('Muted'), 'aria-label': t('muted') }) : null));
  onUnreadTotal(drawFaviconCount);
  window.addEventListener('hashchange', renderMuteButton);
  document.addEventListener('ginchat:header', renderMuteButton);
  renderMuteButton();
}
