// The Me tab's Language view (issue 26): follow the browser, English or
// Simplified Chinese, kept on the server for the account
// (POST /user/setLanguage); the page reloads in the new language. Each
// language is named in itself, so whoever cannot read the current one finds
// their own.

import * as api from './api.js';
import { t } from './i18n.js';
import { el, formStatus } from './view.js';

const CHOICES = [
  ['', () => t('Follow the browser')],
  ['en', () => 'English'],
  ['zh-CN', () => '简体中文'],
];

export function languageSettings() {
  const select = el('select', { id: 'language-select', name: 'language' },
    ...CHOICES.map(([value, label]) => el('option', { value, text: label() })));
  select.value = document.documentElement.dataset.language || '';
  const form = el('form', { id: 'language-form', className: 'card-form', novalidate: true },
    el('label', { for: 'language-select', text: t('Language of the app') }), select,
    el('small', { text: t('Follow the browser: the language your browser asks for, else English.') }),
    el('p', { className: 'form-status', role: 'status', 'aria-live': 'polite' }));
  select.addEventListener('change', async () => {
    select.disabled = true;
    try {
      await api.post('/user/setLanguage', { language: select.value });
      window.location.reload();
    } catch (err) {
      select.disabled = false;
      formStatus(form, err.message, false);
    }
  });
  return form;
}
