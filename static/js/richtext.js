// Text messages drawn through format.js: the safe Markdown subset and
// http/https links as DOM nodes, never HTML from the message. A group text's
// mentions (msg.Mentions: member ids the server resolved) are highlighted;
// a mention of me gets the class "me" as well.

import { renderText } from './format.js';
import { registerContentRenderer } from './hooks.js';
import { TEXT } from './constants.js';
import { me, state } from './state.js';
import { userInfo } from './names.js';
import { el } from './view.js';

function handlesOf(user) {
  return [user.Name, user.DisplayName].filter(Boolean);
}

// Boxes drawn before a mentioned member's names were known: drawn again then.
const waiting = new Map(); // user id -> Set of [box, msg]

function fill(box, msg) {
  // A mention is "@" and a member's name or display name (the server's rule).
  const ids = msg.Mentions || [];
  const names = ids.flatMap((id) => handlesOf(userInfo(id)));
  // @all and @here (issue 28) are for me too, unless I wrote them.
  const broadcast = { all: ['all', '所有人'], here: ['here'] }[msg.MentionAll] || [];
  names.push(...broadcast);
  box.replaceChildren(renderText(msg.Content || '', { mentions: names }));
  if (names.length) {
    const mine = new Set(handlesOf(me).map((h) => h.toLowerCase()));
    if (msg.UserId !== me.ID) broadcast.forEach((word) => mine.add(word));
    for (const span of box.querySelectorAll('.mention')) {
      if (mine.has(span.textContent.slice(1).toLowerCase())) span.classList.add('me');
    }
  }
  for (const id of ids) {
    if (!state.users.has(id) && id !== me.ID) {
      if (!waiting.has(id)) waiting.set(id, new Set());
      waiting.get(id).add([box, msg]);
    }
  }
}

export function initRichText() {
  registerContentRenderer((msg) => {
    if (msg.Media !== TEXT || msg.Recalled) return null;
    const box = el('div', { className: 'text rich' });
    fill(box, msg);
    return box;
  });
  document.addEventListener('ginchat:user-known', (event) => {
    const boxes = waiting.get(event.detail.id);
    waiting.delete(event.detail.id);
    for (const [box, msg] of boxes || []) fill(box, msg);
  });
}
