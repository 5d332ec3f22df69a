// The forms of the Contacts view (add a friend, friend requests, blocked
// people), the Groups view (create and join a group) and the Me tab (profile,
// sessions).

import * as api from './api.js';
import { refreshLists, setBadge } from './convlist.js';
import { $ } from './dom.js';
import { me, state } from './state.js';
import { avatar, busy, el, fillAvatar, formStatus, miniButton, toast } from './view.js';
import { confirmAction } from './confirm.js';
import { fullName, shownName } from './names.js';
import { chosenMembers } from './picker.js';
import { t } from './i18n.js';

export function renderMe() {
  $('me').textContent = shownName(me);
  $('me').title = `@${me.Name}`;
  fillAvatar($('profile-avatar'), { name: shownName(me), url: me.Avatar, id: me.ID });
}

function ajaxForm(id, action) {
  const form = $(id);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    busy(form, true);
    try {
      const done = await action(form);
      formStatus(form, done, true);
      form.reset();
      await refreshLists();
    } catch (err) {
      formStatus(form, err.message, false);
    } finally {
      busy(form, false);
    }
  });
}

// --- friend requests and blocks ----------------------------------------------------
export async function loadRequests() {
  let requests;
  let blocked;
  try {
    [requests, blocked] = await Promise.all([api.post('/contact/friendRequests'), api.post('/contact/blocked')]);
  } catch (err) {
    return;
  }
  const items = (requests.Rows || []).map((req) => {
    const incoming = req.Direction === 'in';
    const other = incoming ? req.From : req.To;
    const item = el('li', { dataset: { requestId: req.ID } },
      avatar({ name: shownName(other), url: other.Avatar, id: other.ID }),
      el('span', { className: 'name', text: incoming ? t('{name} asks to be your friend', { name: fullName(other) }) : t('Asked {name}', { name: fullName(other) }) }));
    if (incoming) {
      item.append(
        miniButton(t('Accept'), () => answerRequest(req, true), { 'aria-label': t('Accept {name}', { name: fullName(other) }) }),
        miniButton(t('Decline'), async () => {
          if (await confirmAction({ title: t("Decline {name}'s request?", { name: fullName(other) }), action: t('Decline') })) answerRequest(req, false);
        }, { className: 'danger', 'aria-label': t('Decline {name}', { name: fullName(other) }) }));
    }
    return item;
  });
  const waiting = (requests.Rows || []).filter((req) => req.Direction === 'in').length;
  setBadge($('badge-requests'), waiting, t(waiting === 1 ? '{n} friend request' : '{n} friend requests', { n: waiting }));
  $('request-list').replaceChildren(...(items.length ? items : [el('li', { className: 'empty', text: t('No requests.') })]));
  const people = (blocked.Rows || []).map((user) => el('li', {},
    el('span', { className: 'name', text: fullName(user) }),
    miniButton(t('Unblock'), () => act(() => api.post('/contact/unblock', { targetId: user.ID }), t('{name} is unblocked.', { name: shownName(user) })),
      { className: 'secondary', 'aria-label': t('Unblock {name}', { name: fullName(user) }) })));
  $('blocked-list').replaceChildren(...(people.length ? people : [el('li', { className: 'empty', text: t('Nobody.') })]));
}

// A call whose outcome is a toast, then fresh requests and lists.
export async function act(call, done) {
  try {
    const data = await call();
    toast(done || data.Msg);
  } catch (err) {
    toast(err.message);
  }
  loadRequests();
  await refreshLists();
}

function answerRequest(req, accept) {
  const name = shownName(req.From);
  act(() => api.post('/contact/answerRequest', { requestId: req.ID, accept }),
    t(accept ? '{name} is now your friend.' : 'You declined {name}.', { name }));
}

export function initMe() {
  $('profile-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    busy(form, true);
    try {
      const fields = { phone: $('profile-phone').value.trim(), email: $('profile-email').value.trim() };
      if ($('profile-display-name')) fields.displayName = $('profile-display-name').value.trim();
      const name = $('profile-name').value.trim();
      if (name && name !== me.Name) fields.name = name;
      if ($('profile-password').value) {
        if (!$('profile-old-password').value) throw new api.ApiError(400, t('Enter your current password to set a new one.'));
        fields.password = $('profile-password').value;
        fields.oldPassword = $('profile-old-password').value;
      }
      const icon = await api.uploadFrom($('avatar-input'));
      if (icon) fields.icon = icon;
      const data = await api.post('/user/updateUser', fields);
      Object.assign(me, data.Data);
      state.users.set(me.ID, me);
      $('profile-password').value = '';
      $('profile-old-password').value = '';
      $('avatar-input').value = '';
      $('avatar-input').dispatchEvent(new Event('change'));
      renderMe();
      formStatus(form, fields.password ? t('Password changed; your other sessions are logged out.') : t('Profile saved.'), true);
    } catch (err) {
      formStatus(form, err.message, false);
    } finally {
      busy(form, false);
    }
  });

  $('logout-others').addEventListener('click', async () => {
    const box = $('sessions-box');
    if (!(await confirmAction({ title: t('Log out everywhere else?'), text: t('Your other browsers and devices will need to log in again.'), action: t('Log out others') }))) return;
    busy(box, true);
    try {
      const ended = (await api.post('/user/logoutOthers')).Data.Ended;
      formStatus(box, t(ended === 1 ? 'Logged out everywhere else ({n} session).' : 'Logged out everywhere else ({n} sessions).', { n: ended }), true);
    } catch (err) {
      formStatus(box, err.message, false);
    } finally {
      busy(box, false);
    }
  });

  ajaxForm('add-friend-form', async () => {
    const data = await api.post('/contact/addfriend', { targetName: $('targetName').value.trim() });
    loadRequests();
    const name = $('targetName').value.trim();
    return t(data.Data && data.Data.FromId !== undefined ? 'friend request sent to {name}' : '{name} is now your friend.', { name });
  });
  ajaxForm('create-group-form', async () => {
    const icon = await api.uploadFrom($('group-icon'));
    const members = chosenMembers();
    const data = await api.post('/contact/createCommunity', {
      name: $('group-name').value.trim(), desc: $('group-desc').value.trim(), icon,
      policy: $('group-new-policy').value, history: $('group-new-history').value,
      ...(members.length ? { members: members.join(',') } : {}),
    });
    // The new group opens at once (issue 27).
    await refreshLists();
    location.hash = `#g${data.Data.ID}`;
    return t('Group {name} created (ID {id}).', { name: data.Data.Name, id: data.Data.ID });
  });
  ajaxForm('join-group-form', async () => {
    const data = await api.post('/contact/joinGroup', { comId: $('comId').value.trim() });
    await refreshLists();
    location.hash = `#g${data.Data.ID}`; // the group opens at once, as a new one does
    return t('You joined {name}.', { name: data.Data.Name });
  });
}
