// What a call looks like (issue 29): the incoming-call card, the call screen
// (a tile per person: video or their avatar, their name, a speaking ring),
// its controls and the device menu, and the error box. Only DOM here: calls.js
// decides; this module draws and reports clicks.

import { speakerChoiceSupported, screenShareSupported } from './callmedia.js';
import { avatar, el } from './view.js';
import { t } from './i18n.js';

export function clockOf(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

// --- the incoming call -----------------------------------------------------------------
// { title, video, onAccept(video), onDecline } -> { remove() }
export function incomingCard({ title, text, video, onAccept, onDecline }) {
  const card = el('section', {
    className: 'call-incoming', role: 'alertdialog', 'aria-labelledby': 'call-incoming-title', 'aria-describedby': 'call-incoming-text',
  },
  el('span', { className: 'call-incoming-icon', 'aria-hidden': 'true', text: video ? '🎥' : '📞' }),
  el('div', { className: 'call-incoming-text' },
    el('h2', { id: 'call-incoming-title', text: title }),
    el('p', { id: 'call-incoming-text', text })),
  el('div', { className: 'call-incoming-actions' },
    el('button', { type: 'button', className: 'call-accept', text: t('Accept'), onclick: () => onAccept(false) }),
    el('button', { type: 'button', className: 'call-accept video', text: t('Accept with video'), onclick: () => onAccept(true) }),
    el('button', { type: 'button', className: 'call-decline', text: t('Decline'), onclick: onDecline })));
  document.body.append(card);
  card.querySelector('.call-accept').focus({ preventScroll: true });
  return { node: card, remove: () => card.remove() };
}

// --- an error about the microphone or camera ---------------------------------------------
export function showCallError(content) {
  let box = document.getElementById('call-error');
  if (!box) {
    box = el('div', { id: 'call-error', className: 'call-error', role: 'alert' });
    document.body.append(box);
  }
  box.replaceChildren(
    el('span', { className: 'call-error-icon', 'aria-hidden': 'true', text: '⚠' }),
    el('p', { className: 'call-error-text' }, content),
    el('button', { type: 'button', className: 'link', text: t('Close'), onclick: () => box.remove() }));
  return box;
}

export function clearCallError() {
  const box = document.getElementById('call-error');
  if (box) box.remove();
}

// --- the call screen ------------------------------------------------------------------
function tool(label, icon, onclick, extra = {}) {
  return el('button', { type: 'button', className: 'call-tool', 'aria-label': label, title: label, onclick, ...extra },
    el('span', { 'aria-hidden': 'true', text: icon }));
}

export class CallView {
  // handlers: { onMute, onCamera, onShare, onHangup, onDevices, onPickDevice(kind, id) }
  constructor({ title, handlers }) {
    this.handlers = handlers;
    this.tiles = new Map();
    this.timer = null;
    this.status = el('span', { className: 'call-status', role: 'status', 'aria-live': 'polite' });
    this.clock = el('span', { className: 'call-timer', 'aria-label': t('Call duration') });
    this.grid = el('div', { className: 'call-grid' });
    this.muteBtn = tool(t('Mute the microphone'), '🎙', () => handlers.onMute());
    this.camBtn = tool(t('Turn the camera on'), '📷', () => handlers.onCamera());
    this.shareBtn = tool(t('Share the screen'), '🖥', () => handlers.onShare());
    this.shareBtn.hidden = !screenShareSupported();
    this.devicesBtn = tool(t('Devices'), '⚙', () => this.toggleDevices(), { 'aria-expanded': 'false', 'aria-controls': 'call-devices' });
    this.hangBtn = tool(t('Hang up'), '📞', () => handlers.onHangup(), { className: 'call-tool hangup' });
    this.devices = el('form', { id: 'call-devices', className: 'call-devices', hidden: true, onsubmit: (e) => e.preventDefault() });
    this.node = el('section', { id: 'call', className: 'call-screen', 'aria-label': t('Call') },
      el('header', { className: 'call-head' },
        el('h2', { className: 'call-title', text: title }), this.clock, this.status),
      this.grid,
      this.devices,
      el('div', { className: 'call-tools', role: 'toolbar', 'aria-label': t('Call controls') },
        this.muteBtn, this.camBtn, this.shareBtn, this.devicesBtn, this.hangBtn));
    this.returnFocus = document.activeElement;
    document.body.append(this.node);
    document.body.classList.add('in-call');
    const app = document.getElementById('app');
    if (app) app.inert = true; // the call covers the page: the keyboard stays in it
    this.muteBtn.focus({ preventScroll: true }); // the call's controls, for the keyboard too
    this.node.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !this.devices.hidden) {
        event.stopPropagation();
        this.toggleDevices(false);
        this.devicesBtn.focus();
      }
    });
  }

  setTitle(text) {
    this.node.querySelector('.call-title').textContent = text;
  }

  setStatus(text) {
    this.status.textContent = text || '';
  }

  startTimer(startedAt) {
    clearInterval(this.timer);
    const tick = () => { this.clock.textContent = clockOf(Date.now() - startedAt); };
    tick();
    this.timer = setInterval(tick, 1000);
  }

  setControls({ muted, camOn, sharing }) {
    this.muteBtn.setAttribute('aria-pressed', String(!!muted));
    this.muteBtn.setAttribute('aria-label', muted ? t('Unmute the microphone') : t('Mute the microphone'));
    this.muteBtn.title = muted ? t('Unmute the microphone') : t('Mute the microphone');
    this.muteBtn.firstChild.textContent = muted ? '🔇' : '🎙';
    this.camBtn.setAttribute('aria-pressed', String(!!camOn));
    this.camBtn.setAttribute('aria-label', camOn ? t('Turn the camera off') : t('Turn the camera on'));
    this.camBtn.title = this.camBtn.getAttribute('aria-label');
    this.camBtn.classList.toggle('off', !camOn);
    this.shareBtn.setAttribute('aria-pressed', String(!!sharing));
    this.shareBtn.setAttribute('aria-label', sharing ? t('Stop sharing the screen') : t('Share the screen'));
    this.shareBtn.title = this.shareBtn.getAttribute('aria-label');
  }

  // A person's tile: { setStream, setSpeaking, setMuted, setNote, remove }.
  tile(key, { name, userId, avatarUrl, local }) {
    if (this.tiles.has(key)) return this.tiles.get(key);
    const video = el('video', { autoplay: true, playsinline: true });
    video.muted = !!local; // my own voice is never played back to me
    const face = avatar({ name, url: avatarUrl, id: userId });
    const label = el('span', { className: 'call-name', text: local ? t('{name} (you)', { name }) : name });
    const note = el('span', { className: 'call-note' });
    const node = el('figure', { className: `call-tile${local ? ' local' : ''}`, dataset: { userId, key } },
      face, video, el('figcaption', {}, el('span', { className: 'call-mic-off', 'aria-label': t('muted'), hidden: true, text: '🔇' }), label, note));
    this.grid.append(node);
    const tile = {
      node,
      video,
      setStream: (stream) => {
        if (video.srcObject !== stream) video.srcObject = stream;
        video.play().catch(() => {});
        tile.refresh();
      },
      refresh: () => {
        const stream = video.srcObject;
        const live = stream && stream.getVideoTracks().some((tr) => tr.readyState === 'live' && tr.enabled && !tr.muted);
        node.classList.toggle('has-video', !!live);
      },
      setSpeaking: (on) => node.classList.toggle('speaking', !!on),
      setMuted: (on) => { node.querySelector('.call-mic-off').hidden = !on; },
      setNote: (text) => { note.textContent = text ? ` · ${text}` : ''; },
      setName: (text) => { label.textContent = local ? t('{name} (you)', { name: text }) : text; },
      setSink: (id) => (typeof video.setSinkId === 'function' ? video.setSinkId(id) : Promise.resolve()),
      remove: () => {
        node.remove();
        this.tiles.delete(key);
        this.layout();
      },
    };
    this.tiles.set(key, tile);
    this.layout();
    return tile;
  }

  layout() {
    this.grid.dataset.count = String(this.tiles.size);
  }

  async toggleDevices(open = this.devices.hidden) {
    this.devices.hidden = !open;
    this.devicesBtn.setAttribute('aria-expanded', String(open));
    if (open) this.fillDevices(await this.handlers.onDevices());
  }

  fillDevices({ mics, cams, speakers, current }) {
    const select = (id, labelText, list, kind) => {
      const box = el('select', { id, onchange: (e) => this.handlers.onPickDevice(kind, e.target.value) });
      for (const d of list) box.append(el('option', { value: d.id, text: d.label, selected: d.id === current[kind] }));
      return [el('label', { for: id, text: labelText }), box];
    };
    const parts = [...select('call-mic', t('Microphone'), mics, 'mic')];
    if (cams.length) parts.push(...select('call-cam', t('Camera'), cams, 'cam'));
    if (speakerChoiceSupported() && speakers.length) parts.push(...select('call-speaker', t('Speaker'), speakers, 'speaker'));
    parts.push(el('button', { type: 'button', className: 'link', text: t('Close'), onclick: () => this.toggleDevices(false) }));
    this.devices.replaceChildren(...parts);
  }

  close() {
    clearInterval(this.timer);
    for (const tile of this.tiles.values()) tile.video.srcObject = null;
    const hadFocus = this.node.contains(document.activeElement);
    this.node.remove();
    document.body.classList.remove('in-call');
    const app = document.getElementById('app');
    if (app) app.inert = false;
    if (hadFocus && this.returnFocus && this.returnFocus.isConnected) this.returnFocus.focus({ preventScroll: true });
  }
}
