// "Copy text" in a message's menu: the text of a text or emoji message to
// the clipboard (in the conversation and in a thread's panel alike).

import { registerMessageAction } from './hooks.js';
import { EMOJI, TEXT } from './constants.js';
import { toast } from './view.js';
import { t } from './i18n.js';

export function initCopyText() {
  registerMessageAction({
    id: 'copy',
    label: t('Copy text'),
    when: (msg) => !msg.Recalled && (msg.Media === TEXT || msg.Media === EMOJI) && !!msg.Content
      && !!(navigator.clipboard && navigator.clipboard.writeText), // a secure context (localhost, https)
    run: (msg) => {
      navigator.clipboard.writeText(msg.Content)
        .then(() => toast(t('Copied')))
        .catch((err) => toast(t('Not copied: {error}', { error: err.message })));
    },
  });
}
