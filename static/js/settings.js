// The Me tab as settings views (issue 15): a menu of groups (Profile,
// Notifications, Friends and requests, Blocked, Groups, Sessions), each
// opening its own view with a way back; status lines that clear themselves;
// file inputs shown as a button with the chosen file's name.

import { selectTab } from './convlist.js';
import { t } from './i18n.js';
import { languageSettings } from './language.js';
import { notificationSettings } from './notify.js';
import { $ } from './dom.js';
import { el } from './view.js';

const STATUS_MS = 5000; // a status line stays this long

// A view holds parts of the Me tab; a shortcut opens another tab's part
// (requests, blocks and groups live in the Contacts and Groups views).
const VIEWS = [
  { id: 'profile', title: t('Profile'), hint: t('Display name, handle, picture, password'), parts: ['profile-form'] },
  { id: 'notifications', title: t('Notifications'), hint: t('Desktop alerts and sound'), parts: [] },
  { id: 'language', title: t('Language'), hint: t('English or Simplified Chinese'), parts: [] },
  { id: 'sessions', title: t('Sessions'), hint: t('Log out your other devices'), parts: ['sessions-box'] },
  { id: 'requests', title: t('Friend requests'), hint: t('In Contacts'), tab: 'friends', focus: 'requests-box' },
  { id: 'blocked', title: t('Blocked people'), hint: t('In Contacts'), tab: 'friends', focus: 'blocked-box' },
  { id: 'groups', title: t('Create or join a group'), hint: t('In Groups'), tab: 'groups', focus: 'create-group-form' },
  // a page of its own (issue 25): the CA to install on each device
  { id: 'trust', title: t('Secure connection'), hint: t('Trust this server on your devices (HTTPS)'), href: '/trust' },
];

let nav = null;

function jump(spec) {
  selectTab(spec.tab);
  const target = $(spec.focus);
  if (!target) return;
  target.scrollIntoView({ block: 'start' });
  const heading = target.querySelector('h3, label');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

export function openView(id) {
  const spec = VIEWS.find((v) => v.id === id);
  if (spec && spec.tab) {
    jump(spec);
    return;
  }
  for (const view of document.querySelectorAll('.settings-view')) view.hidden = view.dataset.view !== id;
  nav.hidden = !!id;
  const view = id && document.querySelector(`.settings-view[data-view="${id}"]`);
  if (view) view.querySelector('h3').focus();
  else if (nav.dataset.last) {
    const back = nav.querySelector(`[data-open="${nav.dataset.last}"]`);
    if (back) back.focus();
  }
  if (id) nav.dataset.last = id;
}

function buildViews(tab) {
  nav = el('ul', { className: 'settings-nav', id: 'settings-nav', 'aria-label': t('Settings') });
  for (const spec of VIEWS) {
    const label = [el('span', { className: 'settings-title', text: spec.title }), el('span', { className: 'settings-hint', text: spec.hint })];
    nav.append(el('li', {}, spec.href
      ? el('a', { href: spec.href, className: 'settings-item', id: `settings-link-${spec.id}` }, ...label)
      : el('button', {
        type: 'button', className: 'settings-item', dataset: { open: spec.id }, onclick: () => openView(spec.id),
      }, ...label)));
    if (spec.tab || spec.href) continue;
    const view = el('section', { className: 'settings-view', dataset: { view: spec.id }, hidden: true, 'aria-label': spec.title },
      el('div', { className: 'settings-head' },
        el('button', { type: 'button', className: 'link back-to-settings', text: `‹ ${t('Settings')}`, onclick: () => openView(null) }),
        el('h3', { text: spec.title, tabindex: '-1' })));
    for (const part of spec.parts) {
      const node = $(part);
      if (node) view.append(node);
    }
    if (spec.id === 'notifications') view.append(notificationSettings());
    if (spec.id === 'language') view.append(languageSettings());
    tab.append(view);
  }
  tab.querySelector('h2').after(nav);
}

// --- status lines that clear themselves ------------------------------------------------
const timers = new WeakMap();
function watchStatus(node) {
  if (!node.textContent) return;
  clearTimeout(timers.get(node));
  timers.set(node, setTimeout(() => {
    node.textContent = '';
    node.classList.remove('ok', 'error');
  }, STATUS_MS));
}

function clearStatusesByThemselves() {
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      let node = record.target.nodeType === Node.TEXT_NODE ? record.target.parentElement : record.target;
      node = node && node.closest('.form-status');
      if (node) watchStatus(node);
    }
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
}

// --- file inputs -------------------------------------------------------------------------
function enhanceFile(input, text) {
  if (!input || input.dataset.enhanced) return;
  input.dataset.enhanced = '1';
  input.classList.add('visually-hidden');
  const name = el('span', { className: 'file-name', text: t('No file chosen') });
  const button = el('label', { for: input.id, className: 'button secondary file-button', text });
  const box = el('span', { className: 'file-pick' });
  input.replaceWith(box);
  box.append(input, button, name);
  const show = () => {
    const file = input.files && input.files[0];
    name.textContent = file ? file.name : t('No file chosen');
  };
  input.addEventListener('change', show);
  if (input.form) input.form.addEventListener('reset', () => setTimeout(show, 0));
}

export function initSettings() {
  const tab = $('tab-me');
  buildViews(tab);
  clearStatusesByThemselves();
  enhanceFile($('avatar-input'), t('Choose a picture'));
  enhanceFile($('group-icon'), t('Choose an icon'));
  enhanceFile($('group-edit-icon'), t('Choose an icon'));
  window.addEventListener('ginchat:settings', (event) => {
    selectTab('me');
    openView(event.detail);
  });
}
