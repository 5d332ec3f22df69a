// Text messages drawn through format.js: the safe Markdown subset and
// http/https links as DOM nodes, never HTML from the message. A group text's
// mentions (msg.Mentions: member ids the server resolved) are highlighted;
// a mention of me gets the class "me" as well.

import { renderText } from './format.js';
import { registerContentRenderer } from './hooks.js';
import { TEXT, me, userInfo } from './state.js';
import { el } from './view.js';

function handlesOf(user) {
  return [user.Name, user.DisplayName].filter(Boolean);
}

export function initRichText() {
  registerContentRenderer((msg) => {
    if (msg.Media !== TEXT || msg.Recalled) return null;
    // A mention is "@" and a member's name or display name (the server's rule).
    const names = (msg.Mentions || []).flatMap((id) => handlesOf(userInfo(id)));
    const box = el('div', { className: 'text rich' });
    box.append(renderText(msg.Content || '', { mentions: names }));
    if (names.length) {
      const mine = new Set(handlesOf(me).map((h) => h.toLowerCase()));
      for (const span of box.querySelectorAll('.mention')) {
        if (mine.has(span.textContent.slice(1).toLowerCase())) span.classList.add('me');
      }
    }
    return box;
  });
}
