// Type 15 frames: a message's changed state (an edit, reactions, a recall
// replayed). The stored copy takes the new state and its bubble is drawn
// again; the frame's Id is a place in the message sequence, so it moves the
// resume point of the socket (?since=) like a message does.

import { scheduleListRender } from './convlist.js';
import { convOfEvent } from './frames.js';
import { registerFrameHandler } from './hooks.js';
import { redrawMessage } from './messages.js';
import { RECALLED } from './constants.js';
import { state } from './state.js';

export const UPDATE = 15;

// A change's state (a Type 15 frame) onto the message it changes, wherever it is shown.
export function applyChangeTo(msg, frame) {
  if (frame.Recalled) {
    Object.assign(msg, { Media: RECALLED, Content: '', Url: '', Amount: 0, Recalled: true });
  } else {
    msg.Content = frame.Content;
    if (frame.Edited) msg.Edited = frame.Edited;
    msg.Mentions = frame.Mentions || [];
    msg.Reactions = frame.Reactions || [];
  }
}

// Apply a change (a Type 15 frame, or the Data of /message/edit and /message/react).
export function applyChange(frame) {
  document.dispatchEvent(new CustomEvent('ginchat:change', { detail: frame })); // a thread's panel follows it too
  const conv = convOfEvent(frame);
  if (!conv) return;
  const msg = conv.messages.get(frame.MsgId);
  if (!msg) return; // not loaded here: history will bring the latest state
  applyChangeTo(msg, frame);
  redrawMessage(conv, frame.MsgId);
  if (conv.last && conv.last.Id === frame.MsgId) scheduleListRender();
}

export function initChanges() {
  registerFrameHandler(UPDATE, (frame) => {
    if (Number.isInteger(frame.Id) && frame.Id > state.lastId) state.lastId = frame.Id;
    applyChange(frame);
  });
}
