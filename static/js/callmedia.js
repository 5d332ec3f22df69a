// The media side of calls (issue 29), with no knowledge of the chat: the
// microphone and camera (and what to say when the browser refuses them), the
// devices to switch between, screen sharing, the ring tone (WebAudio, no sound
// file) and the speaking indicator (an analyser on each stream).

import { insecurePage, secureUrl } from './secure.js';
import { el } from './view.js';
import { t } from './i18n.js';

export function callsSupported() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.RTCPeerConnection);
}

export function screenShareSupported() {
  // Phones and tablets have no getDisplayMedia (or one that cannot work): desktop only.
  const coarse = window.matchMedia && window.matchMedia('(pointer: coarse)').matches;
  return !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia) && !coarse;
}

export function speakerChoiceSupported() {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

// Why a call cannot start here, as a Node to show (with the https link), or null.
export function cannotCall() {
  if (insecurePage()) {
    const url = secureUrl();
    if (!url) {
      return el('span', {}, t('Calls need a secure (https) address, and this server has HTTPS turned off: ask its administrator.'));
    }
    return el('span', {}, `${t('Calls need the microphone, which the browser gives only to a secure page. Open the secure address:')} `,
      el('a', { href: url, className: 'secure-link', text: url }));
  }
  if (!callsSupported()) return el('span', {}, t('This browser cannot make calls.'));
  return null;
}

// What to tell the user about a getUserMedia failure.
export function mediaErrorText(err, video) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return video
      ? t('The browser refused the microphone or camera. Allow them for this site (the icon in the address bar), then try again.')
      : t('The browser refused the microphone. Allow it for this site (the icon in the address bar), then try again.');
  }
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return video ? t('No microphone or camera was found: connect one and try again.') : t('No microphone was found: connect one and try again.');
  }
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    return t('The microphone or camera is busy: another program (or another tab) is using it, or the system blocked it. Close that, then try again.');
  }
  return t('The microphone or camera could not be opened: {error}', { error: (err && err.message) || String(err) });
}

const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

function audioConstraint(deviceId) {
  return deviceId ? { ...AUDIO, deviceId: { exact: deviceId } } : AUDIO;
}

function videoConstraint(deviceId) {
  const base = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } };
  return deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
}

// The microphone, and the camera when `video`: { stream, note } where note
// says the camera was left out (missing or busy, the call goes on with voice).
// Throws the browser's error when even the microphone cannot be had.
export async function openLocalMedia({ video, micId, camId }) {
  if (!video) return { stream: await navigator.mediaDevices.getUserMedia({ audio: audioConstraint(micId) }), note: '' };
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ audio: audioConstraint(micId), video: videoConstraint(camId) }), note: '' };
  } catch (err) {
    if (err && (err.name === 'NotFoundError' || err.name === 'NotReadableError' || err.name === 'OverconstrainedError')) {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: audioConstraint(micId) });
      return { stream, note: t('The camera could not be opened: the call goes on with voice only.') };
    }
    throw err;
  }
}

export async function openCamera(camId) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: videoConstraint(camId) });
  return stream.getVideoTracks()[0];
}

export async function openMicrophone(micId) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: audioConstraint(micId) });
  return stream.getAudioTracks()[0];
}

export async function openScreen() {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  return stream.getVideoTracks()[0];
}

// { mics, cams, speakers }: the devices the browser names (labels appear once
// the page has had the microphone).
export async function listDevices() {
  const all = navigator.mediaDevices && navigator.mediaDevices.enumerateDevices
    ? await navigator.mediaDevices.enumerateDevices().catch(() => [])
    : [];
  const named = (list, fallback) => list.map((d, i) => ({ id: d.deviceId, label: d.label || fallback(i + 1) }));
  return {
    mics: named(all.filter((d) => d.kind === 'audioinput'), (n) => t('Microphone {n}', { n })),
    cams: named(all.filter((d) => d.kind === 'videoinput'), (n) => t('Camera {n}', { n })),
    speakers: named(all.filter((d) => d.kind === 'audiooutput'), (n) => t('Speaker {n}', { n })),
  };
}

// --- sound -------------------------------------------------------------------------
let audio = null;
export function audioContext() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  if (!audio) audio = new Context();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  return audio;
}

// A ring: two soft tones, twice, every three seconds, until stop() is called.
// `outgoing` is the caller's quieter "it is ringing there" tone.
export function startRinging(outgoing = false) {
  const ctx = audioContext();
  if (!ctx) return { stop() {} };
  const gain = ctx.createGain();
  gain.gain.value = outgoing ? 0.05 : 0.12;
  gain.connect(ctx.destination);
  const burst = () => {
    const now = ctx.currentTime;
    const pattern = outgoing ? [[0, 1.2]] : [[0, 0.4], [0.6, 0.4]];
    for (const [at, length] of pattern) {
      for (const freq of outgoing ? [425] : [480, 620]) {
        const tone = ctx.createOscillator();
        const env = ctx.createGain();
        tone.type = 'sine';
        tone.frequency.value = freq;
        env.gain.setValueAtTime(0.0001, now + at);
        env.gain.exponentialRampToValueAtTime(1, now + at + 0.03);
        env.gain.setValueAtTime(1, now + at + length - 0.05);
        env.gain.exponentialRampToValueAtTime(0.0001, now + at + length);
        tone.connect(env).connect(gain);
        tone.start(now + at);
        tone.stop(now + at + length + 0.02);
      }
    }
  };
  burst();
  const timer = setInterval(burst, 3000);
  return {
    stop() {
      clearInterval(timer);
      gain.gain.setValueAtTime(0, ctx.currentTime);
      setTimeout(() => gain.disconnect(), 100);
    },
  };
}

// Calls onLevel(speaking) when a stream's audio rises above or falls below
// the speaking threshold. Answers stop().
export function watchSpeaking(stream, onChange) {
  const ctx = audioContext();
  if (!ctx || !stream.getAudioTracks().length) return { stop() {} };
  let source;
  try {
    source = ctx.createMediaStreamSource(stream);
  } catch (err) {
    return { stop() {} };
  }
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  let speaking = false;
  let quietSince = 0;
  const timer = setInterval(() => {
    analyser.getByteTimeDomainData(data);
    let sum = 0;
    for (const v of data) sum += (v - 128) * (v - 128);
    const level = Math.sqrt(sum / data.length) / 128;
    const now = Date.now();
    if (level > 0.04) {
      quietSince = 0;
      if (!speaking) {
        speaking = true;
        onChange(true);
      }
    } else if (speaking) {
      if (!quietSince) quietSince = now;
      else if (now - quietSince > 400) {
        speaking = false;
        onChange(false);
      }
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      try {
        source.disconnect();
      } catch (err) {
        // gone already
      }
    },
  };
}
