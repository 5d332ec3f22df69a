// Announcement groups and group notices (issue 28). A group whose
// WhoMayWrite is admins is read-only for its members: their composer gives
// way to a line saying so (the server refuses their messages anyway). The
// group notice (群公告) shows above the messages; one I have not read yet
// (on any device: the server keeps the mark) is marked "New" (in the Chats
// list too) until read. A change reaches a device that was away through the
// replay of since (Type 24).
// The owner's group panel gains "Who may pin" and "Who may write"; the owner
// and admins get the notice editor.

import * as api from './api.js';
import { scheduleListRender } from './convlist.js';
import { showSetting } from './grouppanel.js';
import { registerChatRowPart, registerFrameHandler } from './hooks.js';
import { shownName, userInfo } from './names.js';
import { $ } from './dom.js';
import { GROUP } from './constants.js';
import { currentConv } from './convs.js';
import { me, state } from './state.js';
import { busy, el, formStatus, shortWhen, toast } from './view.js';
import { t } from './i18n.js';

const NOTICE_MAX = 2000;
const NOTICE = 24; // a notice's change, in the message Id sequence (replayed by since)

function noticeOf(conv) {
  return conv && conv.type === GROUP && conv.notice && conv.notice.Text ? conv.notice : null;
}

// "New" until I read it on any of my devices: the server keeps the mark
// (Notice.Seen from /contact/loadcommunity, a replayed Type 24's Seen, the
// notice_seen notice of another device). My own notice is no news to me.
function unseen(conv) {
  const notice = noticeOf(conv);
  return !!notice && !notice.Seen && notice.UserId !== me.ID;
}

async function markSeen(conv) {
  const notice = noticeOf(conv);
  if (!notice) return;
  notice.Seen = true;
  renderNotice(conv);
  scheduleListRender();
  try {
    await api.post('/contact/seeNotice', { comId: conv.id, id: notice.Id || 0 });
  } catch (err) {
    toast(err.message);
  }
}

function runsGroup(conv) {
  return conv.role === 'owner' || conv.role === 'admin';
}

function readOnly(conv) {
  return !!conv && conv.type === GROUP && conv.whoMayWrite === 'admins' && !runsGroup(conv);
}

// --- the banner above the messages, and the composer -----------------------------------------
function renderNotice(conv) {
  const box = $('group-notice');
  const notice = noticeOf(conv);
  box.hidden = !notice;
  if (!notice) return;
  const fresh = unseen(conv);
  box.classList.toggle('unseen', fresh);
  $('group-notice-text').textContent = notice.Text;
  $('group-notice-meta').textContent = t('{name} · {when}', {
    name: notice.UserId === me.ID ? t('You') : shownName(userInfo(notice.UserId)), when: shortWhen(notice.Time),
  });
  $('group-notice-new').hidden = !fresh;
  $('group-notice-ok').hidden = !fresh;
}

function renderComposer(conv) {
  const locked = readOnly(conv);
  $('composer').hidden = locked;
  $('composer-readonly').hidden = !locked;
}

// --- the group panel: settings (owner) and the notice editor (owner, admins) ----------------
function choice(id, label, options) {
  return [
    el('label', { for: id, text: label }),
    el('select', { id }, ...options.map(([value, text]) => el('option', { value, text }))),
  ];
}

function buildPanel() {
  const settings = $('group-settings');
  settings.querySelector('button[type="submit"]').before(
    ...choice('group-who-may-pin', t('Who may pin messages'), [['members', t('Every member')], ['admins', t('Only the owner and admins')]]),
    ...choice('group-who-may-write', t('Who may send messages'), [
      ['members', t('Every member')], ['admins', t('Only the owner and admins (announcements)')],
    ]),
  );
  // Sent with the form's own request (grouppanel.js reads them).
  const area = el('textarea', {
    id: 'group-notice-input', rows: '3', maxlength: String(NOTICE_MAX), 'aria-describedby': 'group-notice-hint',
  });
  const form = el('form', { id: 'group-notice-form', className: 'card-form', hidden: true, novalidate: true },
    el('h3', { text: t('Group notice') }),
    el('label', { for: 'group-notice-input', text: t('Shown to every member at the top of the group') }),
    area,
    el('small', { id: 'group-notice-hint', text: t('Empty clears it. Members are told when it changes.') }),
    el('button', { type: 'submit', text: t('Save notice') }),
    el('p', { className: 'form-status', role: 'status', 'aria-live': 'polite' }));
  $('group-owner-tools').before(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const conv = currentConv();
    if (!conv) return;
    busy(form, true);
    try {
      const data = await api.post('/contact/setNotice', { comId: conv.id, notice: area.value });
      conv.notice = { ...data.Data, Seen: true };
      renderNotice(conv);
      scheduleListRender();
      formStatus(form, data.Data.Text ? t('Notice saved.') : t('Notice cleared.'), true);
    } catch (err) {
      formStatus(form, err.message, false);
    } finally {
      busy(form, false);
    }
  });
}

function renderPanel(conv) {
  if (conv.type !== GROUP) return;
  showSetting('group-who-may-pin', conv.whoMayPin || 'members');
  showSetting('group-who-may-write', conv.whoMayWrite || 'members');
  const form = $('group-notice-form');
  const wasHidden = form.hidden;
  form.hidden = !runsGroup(conv);
  if (wasHidden || document.activeElement !== $('group-notice-input')) {
    $('group-notice-input').value = (conv.notice && conv.notice.Text) || '';
  }
}

function buildBanner() {
  const banner = el('section', { id: 'group-notice', className: 'group-notice', hidden: true, 'aria-label': t('Group notice') },
    el('span', { className: 'group-notice-icon', text: '📢', 'aria-hidden': 'true' }),
    el('div', { className: 'group-notice-body' },
      el('span', { id: 'group-notice-new', className: 'badge notice-new', text: t('New'), hidden: true }),
      el('p', {
        id: 'group-notice-text', className: 'group-notice-text', tabindex: '0', role: 'button', 'aria-expanded': 'false',
        title: t('Show all of the notice'),
      }),
      el('small', { id: 'group-notice-meta', className: 'group-notice-meta' })),
    el('button', { type: 'button', id: 'group-notice-ok', className: 'link', text: t('Got it'), hidden: true }));
  $('group-panel').after(banner);
  $('group-notice-ok').addEventListener('click', () => markSeen(currentConv()));
  // A long notice shows its first lines; a click (or Enter) shows it all.
  const text = $('group-notice-text');
  const toggle = () => {
    const open = !banner.classList.contains('expanded');
    banner.classList.toggle('expanded', open);
    text.setAttribute('aria-expanded', String(open));
  };
  text.addEventListener('click', toggle);
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      toggle();
    }
  });
  const note = el('p', { id: 'composer-readonly', className: 'composer-readonly', role: 'status', hidden: true },
    t('Only the owner and admins can send messages in this group.'));
  $('composer').after(note);
}

export function initAnnouncements() {
  buildBanner();
  buildPanel();
  document.addEventListener('ginchat:header', (event) => {
    const conv = event.detail;
    renderNotice(conv);
    renderComposer(conv);
    renderPanel(conv);
  });
  registerChatRowPart((conv) => (unseen(conv)
    ? el('span', { className: 'notice-mark', text: t('Notice'), title: t('A new group notice') })
    : null));
  registerFrameHandler(NOTICE, (frame) => {
    if (Number.isInteger(frame.Id) && frame.Id > state.lastId) state.lastId = frame.Id;
    const conv = state.convs.get(`g${frame.GroupId}`);
    if (!conv || !frame.Notice) return;
    if (conv.notice && conv.notice.Id > frame.Notice.Id) return; // a newer one is here already
    conv.notice = { ...frame.Notice, Seen: frame.Seen === undefined ? frame.UserId === me.ID : !!frame.Seen };
    // Told live only: a replayed one (with Seen) is marked New, not toasted on every page load.
    if (frame.Seen === undefined && unseen(conv)) toast(t('New notice in {group}', { group: conv.name }));
    if (state.current === conv.key) {
      renderNotice(conv);
      renderPanel(conv);
    }
    scheduleListRender();
  });
  registerFrameHandler(14, (frame) => {
    if (frame.Event !== 'notice_seen') return; // read on another device of mine
    const conv = state.convs.get(`g${frame.GroupId}`);
    if (!conv || !conv.notice || (conv.notice.Id || 0) > frame.NoticeId) return;
    conv.notice.Seen = true;
    if (state.current === conv.key) renderNotice(conv);
    scheduleListRender();
  });
}
