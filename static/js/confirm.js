// A confirmation in a <dialog> (not window.confirm): the question, a Cancel
// button (focused first, Esc also cancels) and the action's own button,
// styled as danger when it destroys something. Resolves true or false.

import { t } from './i18n.js';
import { el } from './view.js';

export function confirmAction({ title, text = '', action = t('OK'), danger = true }) {
  return new Promise((resolve) => {
    const cancel = el('button', { type: 'button', className: 'secondary', text: t('Cancel'), value: 'cancel' });
    const ok = el('button', { type: 'button', className: danger ? 'danger' : '', text: action, value: 'ok' });
    const dialog = el('dialog', { className: 'confirm-dialog', 'aria-labelledby': 'confirm-title' },
      el('h3', { id: 'confirm-title', text: title }),
      text ? el('p', { text }) : null,
      el('div', { className: 'dialog-actions' }, cancel, ok));
    let answer = false;
    const finish = (value) => {
      answer = value;
      dialog.close();
    };
    cancel.addEventListener('click', () => finish(false));
    ok.addEventListener('click', () => finish(true));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
