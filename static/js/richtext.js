// Text messages drawn through format.js: the safe Markdown subset and
// http/https links as DOM nodes, never HTML from the message. A group text's
// mentions (msg.Mentions: member ids the server resolved) are highlighted;
// a mention of me gets the class "me" as well.

import { renderText } from './format.js';
import { registerContentRenderer } from './hooks.js';
import { TEXT, me, userInfo } from './state.js';
import { el } from './view.js';

export function initRichText() {
  registerContentRenderer((msg) => {
    if (msg.Media !== TEXT || msg.Recalled) return null;
    const names = (msg.Mentions || []).map((id) => userInfo(id).Name).filter(Boolean);
    const box = el('div', { className: 'text rich' });
    box.append(renderText(msg.Content || '', { mentions: names }));
    if (names.length) {
      const mine = me.Name.toLowerCase();
      for (const span of box.querySelectorAll('.mention')) {
        if (span.textContent.slice(1).toLowerCase() === mine) span.classList.add('me');
      }
    }
    return box;
  });
}
