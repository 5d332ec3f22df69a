// The conversation header's tools (remove/block a friend, leave a group) and
// the group panel: members and their roles, "Add people", the owner's
// settings and name/description/icon.

import * as api from './api.js';
import { refreshLists } from './convlist.js';
import { act } from './me.js';
import { $ } from './dom.js';
import { currentConv } from './convs.js';
import { me, state } from './state.js';
import { avatar, busy, el, formStatus, miniButton, toast } from './view.js';
import { confirmAction } from './confirm.js';
import { initAddPeople, showAddable } from './picker.js';
import { fullName, shownName } from './names.js';
import { t } from './i18n.js';

const ROLES = { owner: t('owner'), admin: t('admin'), member: t('member') };

export async function loadMembers(conv) {
  let data;
  try {
    data = await api.post('/contact/groupMembers', { comId: conv.id });
  } catch (err) {
    toast(err.message);
    return;
  }
  const owner = conv.role === 'owner';
  const items = (data.Rows || []).map((user) => {
    state.users.set(user.ID, { ...state.users.get(user.ID), ...user });
    const item = el('li', { dataset: { userId: user.ID } },
      avatar({ name: shownName(user), url: user.Avatar, id: user.ID }),
      el('span', { className: 'name', text: user.ID === me.ID ? t('{name} (you)', { name: fullName(user) }) : fullName(user) }),
      el('span', { className: 'role', text: ROLES[user.Role] || user.Role }));
    if (owner && user.ID !== me.ID) {
      const admin = user.Role === 'admin';
      item.append(
        miniButton(admin ? t('Revoke admin') : t('Make admin'), () => {
          act(() => api.post('/contact/setAdmin', { comId: conv.id, userId: user.ID, admin: !admin }),
            t(admin ? '{name} is a member now.' : '{name} is an admin now.', { name: user.Name })).then(() => loadMembers(conv));
        }, { className: 'secondary', 'aria-label': t(admin ? 'Revoke admin of {name}' : 'Make {name} an admin', { name: user.Name }) }),
        miniButton(t('Make owner'), async () => {
          if (await confirmAction({ title: t('Hand {group} to {name}?', { group: conv.name, name: fullName(user) }), text: t('They become its owner; you stay a member.'), action: t('Hand over') })) {
            act(() => api.post('/contact/transferGroup', { comId: conv.id, userId: user.ID }),
              t('{name} owns {group} now.', { name: shownName(user), group: conv.name })).then(() => loadMembers(conv));
          }
        }, { className: 'secondary', 'aria-label': t('Make {name} the owner', { name: user.Name }) }),
        miniButton(t('Remove'), async () => {
          if (await confirmAction({ title: t('Remove {name} from {group}?', { name: fullName(user), group: conv.name }), text: t('They cannot rejoin on their own.'), action: t('Remove') })) {
            act(() => api.post('/contact/removeMember', { comId: conv.id, userId: user.ID }),
              t('{name} removed from {group}.', { name: shownName(user), group: conv.name })).then(() => loadMembers(conv));
          }
        }, { className: 'danger', 'aria-label': t('Remove {name}', { name: user.Name }) }));
    }
    return item;
  });
  $('member-list').replaceChildren(...items);
  $('group-owner-tools').hidden = !owner;
  renderGroupSettings(conv, data.Rows || []);
}

// A field of the settings form shows the group's value, unless a choice made
// in it is not saved yet: the lists and the panel are redrawn whenever the
// group changes (a member joins, anyone's change), and that redraw used to put
// the stored value back between the choice and "Save settings", which then
// sent the old value (and said "Settings saved.").
export function showSetting(id, value) {
  const field = $(id);
  if (field && !field.dataset.unsaved) field.value = value;
}

function forgetUnsaved() {
  for (const field of $('group-settings').querySelectorAll('[data-unsaved]')) delete field.dataset.unsaved;
}

// The settings (the owner's; an admin's: who may write, pin and use @all, the
// rule of ginchat/domain/groups.py), and "Add people" (people I may message who are not members).
function renderGroupSettings(conv, members) {
  const owner = conv.role === 'owner';
  const runs = owner || conv.role === 'admin';
  $('group-settings').hidden = !runs;
  for (const node of $('group-settings').querySelectorAll('[data-owner-only]')) node.hidden = !owner;
  if (runs) {
    showSetting('group-policy', conv.policy || 'open');
    showSetting('group-history', conv.history || 'all');
    showSetting('group-who-may-add', conv.whoMayAdd || 'members');
    showSetting('group-who-may-mention-all', conv.whoMayMentionAll || 'admins');
    // "Nobody" binds the owner too: only the owner chooses it, or lifts it.
    const mentionAll = $('group-who-may-mention-all');
    mentionAll.querySelector('option[value="nobody"]').disabled = !owner;
    mentionAll.disabled = !owner && conv.whoMayMentionAll === 'nobody';
    mentionAll.title = mentionAll.disabled ? t('Only the owner can turn @all and @here on again.') : '';
  }
  $('group-add').hidden = !(owner || conv.role === 'admin' || conv.whoMayAdd !== 'admins');
  // Anyone I may message (the directory's MayMessage), not only friends (issue 27).
  if (!$('group-add').hidden) showAddable(conv, members.map((user) => user.ID), loadMembers);
}

// The settings other modules add to the owner's form: { whoMayPin, whoMayWrite } when drawn.
function settingFields() {
  const fields = {};
  for (const [param, id] of [['whoMayPin', 'group-who-may-pin'], ['whoMayWrite', 'group-who-may-write']]) {
    if ($(id)) fields[param] = $(id).value;
  }
  return fields;
}

export function initGroupPanel() {
  initAddPeople();
  $('remove-friend-btn').addEventListener('click', async () => {
    const conv = currentConv();
    if (!conv || !(await confirmAction({ title: t('Remove {name} from your friends?', { name: conv.name }), text: t('You keep the history; to chat again, add them again.'), action: t('Remove friend') }))) return;
    act(() => api.post('/contact/removeFriend', { targetId: conv.id }), t('{name} is no longer your friend.', { name: conv.name }));
  });
  $('add-friend-btn').addEventListener('click', () => {
    const conv = currentConv();
    if (!conv) return;
    // 200: friends now; 202 (FRIEND_ADD=request): a request went out.
    act(async () => {
      const res = await api.post('/contact/addfriend', { targetId: conv.id });
      return { Msg: res.Data && res.Data.FromId !== undefined
        ? t('Friend request sent to {name}.', { name: conv.name }) : t('{name} is now your friend.', { name: conv.name }) };
    });
  });
  $('block-btn').addEventListener('click', async () => {
    const conv = currentConv();
    if (!conv || !(await confirmAction({ title: t('Block {name}?', { name: conv.name }), text: t('They will not be able to message you or ask to be your friend.'), action: t('Block') }))) return;
    act(() => api.post('/contact/block', { targetId: conv.id }), t('{name} is blocked.', { name: conv.name }));
  });
  $('leave-btn').addEventListener('click', async () => {
    const conv = currentConv();
    if (!conv || !(await confirmAction({ title: t('Leave {name}?', { name: conv.name }), action: t('Leave') }))) return;
    act(() => api.post('/contact/quitGroup', { comId: conv.id }), t('You left {name}.', { name: conv.name }));
  });
  $('members-btn').addEventListener('click', () => {
    const conv = currentConv();
    const panel = $('group-panel');
    panel.hidden = !panel.hidden;
    $('members-btn').setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden && conv) {
      forgetUnsaved(); // opened again: the group's values, not what was left unsaved before
      $('group-edit-name').value = conv.name;
      $('group-edit-desc').value = conv.desc || '';
      loadMembers(conv);
    }
  });

  $('add-people-btn').addEventListener('click', () => {
    const list = $('add-people-list');
    list.hidden = !list.hidden;
    $('add-people-btn').setAttribute('aria-expanded', String(!list.hidden));
  });

  $('group-settings').addEventListener('change', (event) => {
    if (event.target.matches('select')) event.target.dataset.unsaved = '1';
  });
  $('group-settings').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const conv = currentConv();
    if (!conv) return;
    busy(form, true);
    try {
      // An admin sends what an admin may change (the owner's settings are not theirs).
      const owners = conv.role === 'owner' ? {
        policy: $('group-policy').value, history: $('group-history').value, whoMayAdd: $('group-who-may-add').value,
      } : {};
      const mentionAll = $('group-who-may-mention-all').disabled ? {} : { whoMayMentionAll: $('group-who-may-mention-all').value };
      const data = await api.post('/contact/updateGroup', {
        comId: conv.id, ...owners, ...mentionAll,
        ...settingFields(), // issue 28: who may pin, who may write (announce.js draws them)
      });
      // Before the group_updated notice redraws the panel from these.
      Object.assign(conv, {
        policy: data.Data.Policy, history: data.Data.History, whoMayAdd: data.Data.WhoMayAdd,
        whoMayPin: data.Data.WhoMayPin, whoMayWrite: data.Data.WhoMayWrite,
      });
      conv.whoMayMentionAll = data.Data.WhoMayMentionAll;
      forgetUnsaved(); // saved: the fields follow the group again
      formStatus(form, t('Settings saved.'), true);
      await refreshLists();
    } catch (err) {
      formStatus(form, err.message, false);
    } finally {
      busy(form, false);
    }
  });

  $('group-owner-tools').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const conv = currentConv();
    if (!conv) return;
    busy(form, true);
    try {
      const fields = { comId: conv.id, name: $('group-edit-name').value.trim(), desc: $('group-edit-desc').value.trim() };
      const icon = await api.uploadFrom($('group-edit-icon'));
      if (icon) fields.icon = icon;
      const data = await api.post('/contact/updateGroup', fields);
      $('group-edit-icon').value = '';
      formStatus(form, t('Saved: {name}.', { name: data.Data.Name }), true);
      await refreshLists();
    } catch (err) {
      formStatus(form, err.message, false);
    } finally {
      busy(form, false);
    }
  });
}
