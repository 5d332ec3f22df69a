// Extension points of the chat page. A feature (edit, reply, reactions, files,
// the "deactivated" mark...) lives in its own module, imports this one, and
// registers itself from an init function that chat.js calls once at start:
//
//   import { registerMessageAction, registerBubblePart } from './hooks.js';
//   import { redrawMessage } from './messages.js';
//   export function initReactions() {
//     registerMessageAction({ id: 'react', label: 'React', when: (msg, conv) => !msg.Recalled,
//                             run: (msg, conv) => openReactionPicker(msg, conv) });
//     registerBubblePart((msg, conv) => (msg.Reactions ? reactionRow(msg) : null), { where: 'bottom' });
//     registerFrameHandler(15, (frame) => { ... redrawMessage(conv, frame.Id); });
//   }
//
// registerMessageAction({ id, label, when(msg, conv) -> bool, run(msg, conv), danger? })
//   An entry of the per-message menu (the "⋯" button of a bubble). `when` is asked
//   each time the bubble is drawn and each time the menu opens: answer true only
//   while the action can succeed. `msg` is the message as the server sent it
//   (Id, UserId, Type, TargetId, Media, Content, Url, Amount, CreateTime, Recalled,
//   plus any field a later server version adds); `conv` is the conversation
//   ({ key, type (1 private, 2 group), id, name, role, messages: Map Id -> msg, ... }).
//   Pending (not yet stored) messages never get a menu. Registering an id twice
//   replaces the first.
//
// registerBubblePart(fn(msg, conv) -> Node | null, { where = 'bottom' })
//   Extra content drawn into each bubble: 'top' (before the content: a reply quote,
//   a "deactivated" mark), 'bottom' (after the content: reactions, a file card),
//   'meta' (inside the time/ticks line: "edited"). Return null to add nothing.
//
// registerContentRenderer(fn(msg, conv) -> Node | null)
//   Asked before the built-in content (text, emoji, picture, voice) of a message
//   that is not recalled: the first non-null Node wins. For new Media types (files)
//   and formatted text.
//
// registerFrameHandler(type, fn(frame))
//   Called for every WebSocket frame of that Type, after the built-in handling.
//
// registerOutgoingFields(fn(conv, msg) -> object | null)
//   Extra fields (e.g. { ReplyTo: 42 }) merged into a message frame when it is
//   queued; they stay with it for Retry.
//
// registerChatRowPart(fn(conv) -> Node | null)
//   Extra marks on a row of the Chats list (beside the time and unread count):
//   a muted bell, a mention "@". Rows are redrawn often: keep it cheap.
//
// redrawMessage(conv, id)   (messages.js: import it from there; this module imports
//   no other module of the page, so that every module may import it)
//   Draw one stored message again after a feature changed it (edited, reacted).
//
// Elsewhere, for features that need them:
//   unread.js    setUnreadTotal(n) (called by the lists) and onUnreadTotal(fn(n)):
//                follow the unread total, e.g. to draw it on the favicon (#favicon).
//   composer.js  sendFile(conv, file, fields, filename) uploads then sends (fields:
//                { Media, Amount, ... }); queueOutgoing(conv, fields) + transmit(msg)
//                for other frames; composerNote(text) says why nothing was sent.
//   msgmenu.js   closeMenu(refocus); keys.js announce(conv, msg) for the live region.
//   state.js     state (convs, users, current, socket); convs.js currentConv(); names.js userInfo(id);
//                view.js toast(text); constants.js the types (TEXT, GROUP...); dom.js $ and the pane.

const actions = new Map();
const parts = [];
const renderers = [];
const frameHandlers = new Map();
const outgoing = [];
const rowParts = [];

export function registerMessageAction(action) {
  actions.set(action.id, action);
}

export function registerBubblePart(fn, { where = 'bottom' } = {}) {
  parts.push({ fn, where });
}

export function registerContentRenderer(fn) {
  renderers.push(fn);
}

export function registerFrameHandler(type, fn) {
  if (!frameHandlers.has(type)) frameHandlers.set(type, []);
  frameHandlers.get(type).push(fn);
}

export function registerOutgoingFields(fn) {
  outgoing.push(fn);
}

export function registerChatRowPart(fn) {
  rowParts.push(fn);
}

// --- used by the core modules ------------------------------------------------------
function safely(fn, fallback) {
  try {
    return fn();
  } catch (err) {
    console.warn('a chat hook failed', err); // eslint-disable-line no-console
    return fallback;
  }
}

export function actionsFor(msg, conv) {
  if (msg.pending) return [];
  return [...actions.values()].filter((a) => safely(() => a.when(msg, conv), false));
}

export function partsFor(msg, conv, where) {
  const nodes = [];
  for (const part of parts) {
    if (part.where !== where) continue;
    const node = safely(() => part.fn(msg, conv), null);
    if (node) nodes.push(node);
  }
  return nodes;
}

export function customContent(msg, conv) {
  for (const fn of renderers) {
    const node = safely(() => fn(msg, conv), null);
    if (node) return node;
  }
  return null;
}

export function runFrameHandlers(frame) {
  for (const fn of frameHandlers.get(frame.Type) || []) safely(() => fn(frame), null);
}

export function outgoingFields(conv, msg) {
  const extra = {};
  for (const fn of outgoing) Object.assign(extra, safely(() => fn(conv, msg), null) || {});
  return extra;
}

export function chatRowParts(conv) {
  return rowParts.map((fn) => safely(() => fn(conv), null)).filter(Boolean);
}
