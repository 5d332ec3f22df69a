// How a call's record (a Media 7 message, issue 29) reads in words: in its
// bubble, the chat list's preview and notifications. A leaf module: the lists
// and notify.js import it without importing the calls.

import { t } from './i18n.js';

export const CALL = 7; // the Media of a call's record

function seconds(value) {
  return Math.max(0, Math.round(Number(value) || 0));
}

export function callDuration(value) {
  const s = seconds(value);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

// The record's call as the server sent it: msg.Call, or the JSON in Content.
export function callOf(msg) {
  if (msg.Call && typeof msg.Call === 'object') return msg.Call;
  try {
    const data = JSON.parse(msg.Content || '{}');
    return data && typeof data === 'object' ? data : {};
  } catch (err) {
    return {};
  }
}

export function callIcon(msg) {
  return callOf(msg).Video ? '🎥' : '📞';
}

// "Missed call", "Declined", "Call · 3:12", "Calling…", "In progress".
export function callSummary(msg, meId) {
  const call = callOf(msg);
  const mine = msg.UserId === meId; // the record is the caller's message
  if (call.State === 'ringing') return t('Calling…');
  if (call.State === 'active') return t('In progress');
  if (call.State !== 'ended') return call.Video ? t('Video call') : t('Voice call');
  if (call.Duration > 0 || call.Reason === 'hangup') return t('Call · {duration}', { duration: callDuration(call.Duration) });
  switch (call.Reason) {
    case 'declined':
      return t('Declined');
    case 'busy':
      return mine ? t('Busy') : t('Missed call');
    case 'cancelled':
      return mine ? t('Cancelled') : t('Missed call');
    case 'lost':
      return t('Call failed');
    default: // missed
      return mine ? t('No answer') : t('Missed call');
  }
}

export function callPreview(msg, meId) {
  return `${callIcon(msg)} ${callSummary(msg, meId)}`;
}
