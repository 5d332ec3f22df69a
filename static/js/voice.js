// Press-and-hold voice clips with MediaRecorder: mouse, touch or keyboard
// (hold Space or Enter). Release to send, move away or press Escape to cancel.
// On a plain-http LAN address the browser has no microphone for the page: the
// button says so, with the link to the secure address (issue 25).

import { insecurePage, secureNote } from './secure.js';

import { t } from './i18n.js';

const TYPES = [
  ['audio/webm;codecs=opus', 'webm'],
  ['audio/webm', 'webm'],
  ['audio/ogg;codecs=opus', 'ogg'],
  ['audio/mp4', 'm4a'],
];
const MIN_SECONDS = 0.8;
const MAX_SECONDS = 120;

export function formatDuration(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export class VoiceRecorder {
  // onClip(blob, seconds, extension) is called with each finished clip.
  constructor(button, statusEl, onClip) {
    this.button = button;
    this.statusEl = statusEl;
    this.onClip = onClip;
    this.holding = false;
    this.recorder = null;
    if (insecurePage()) {
      this.needsSecureAddress();
      return;
    }
    if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      button.disabled = true;
      button.title = t('Voice clips need a browser with MediaRecorder (and https outside localhost)');
      return;
    }
    button.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      button.setPointerCapture(event.pointerId);
      this.begin();
    });
    button.addEventListener('pointerup', () => this.finish(true));
    button.addEventListener('pointercancel', () => this.finish(false));
    button.addEventListener('contextmenu', (event) => event.preventDefault());
    button.addEventListener('keydown', (event) => {
      if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) {
        event.preventDefault();
        this.begin();
      } else if (event.key === 'Escape') {
        this.finish(false);
      }
    });
    button.addEventListener('keyup', (event) => {
      if (event.key === ' ' || event.key === 'Enter') {
        event.preventDefault();
        this.finish(true);
      }
    });
    button.addEventListener('blur', () => this.finish(false));
  }

  // Greyed, but not disabled: a press answers why, and where it works.
  needsSecureAddress() {
    const { button } = this;
    button.classList.add('needs-secure');
    button.title = t('Voice clips need the secure (https) address');
    button.setAttribute('aria-label', t('Record a voice clip: needs the secure (https) address; press for the link'));
    button.addEventListener('click', (event) => {
      event.preventDefault();
      this.statusEl.replaceChildren(secureNote('voice'));
      this.statusEl.hidden = false;
    });
  }

  status(text) {
    this.statusEl.hidden = !text;
    this.statusEl.textContent = text || '';
  }

  async begin() {
    if (this.holding || this.recorder) return;
    this.holding = true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      this.holding = false;
      this.status(t('The microphone is not available: {error}', { error: err.message || err.name }));
      return;
    }
    if (!this.holding) {
      // released before the microphone answered
      stream.getTracks().forEach((track) => track.stop());
      this.status(t('Hold the button while you speak.'));
      return;
    }
    const [mimeType, ext] = TYPES.find(([type]) => MediaRecorder.isTypeSupported(type)) || ['', 'webm'];
    const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
    const chunks = [];
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data && event.data.size) chunks.push(event.data);
    });
    this.recorder = recorder;
    this.stream = stream;
    this.chunks = chunks;
    this.ext = ext;
    this.startedAt = performance.now();
    recorder.start();
    this.button.classList.add('recording');
    const tick = () => {
      const seconds = (performance.now() - this.startedAt) / 1000;
      this.status(t('Recording {duration} · release to send, Esc to cancel', { duration: formatDuration(Math.floor(seconds)) }));
      if (seconds >= MAX_SECONDS) this.finish(true);
    };
    tick();
    this.ticker = setInterval(tick, 250);
  }

  finish(send) {
    this.holding = false;
    const recorder = this.recorder;
    if (!recorder) return;
    this.recorder = null;
    clearInterval(this.ticker);
    this.button.classList.remove('recording');
    const seconds = (performance.now() - this.startedAt) / 1000;
    recorder.addEventListener('stop', () => {
      this.stream.getTracks().forEach((track) => track.stop());
      if (!send) {
        this.status(t('Recording cancelled.'));
      } else if (seconds < MIN_SECONDS) {
        this.status(t('Too short: hold the button while you speak.'));
      } else {
        this.status('');
        const blob = new Blob(this.chunks, { type: recorder.mimeType || 'audio/webm' });
        this.onClip(blob, Math.max(1, Math.round(seconds)), this.ext);
      }
    });
    recorder.stop();
  }
}
