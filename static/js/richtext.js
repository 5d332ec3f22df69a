// Text messages drawn through format.js: the safe Markdown subset and
// http/https links as DOM nodes, never HTML from the message.

import { renderText } from './format.js';
import { registerContentRenderer } from './hooks.js';
import { TEXT } from './state.js';
import { el } from './view.js';

export function initRichText() {
  registerContentRenderer((msg) => {
    if (msg.Media !== TEXT || msg.Recalled) return null;
    const box = el('div', { className: 'text rich' });
    box.append(renderText(msg.Content || ''));
    return box;
  });
}
