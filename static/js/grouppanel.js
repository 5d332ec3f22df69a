// The conversation header's tools (remove/block a friend, leave a group) and
// the group panel: members and their roles, "Add people", the owner's
// settings and name/description/icon.

import * as api from './api.js';
import { refreshLists } from './convlist.js';
import { act } from './me.js';
import { $, PRIVATE, busy, currentConv, formStatus, me, miniButton, state, toast, uploadFrom } from './state.js';
import { avatar, el } from './view.js';
import { confirmAction } from './confirm.js';
import { fullName, shownName } from './names.js';

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
      el('span', { className: 'name', text: user.ID === me.ID ? `${fullName(user)} (you)` : fullName(user) }),
      el('span', { className: 'role', text: user.Role }));
    if (owner && user.ID !== me.ID) {
      const admin = user.Role === 'admin';
      item.append(
        miniButton(admin ? 'Revoke admin' : 'Make admin', () => {
          act(() => api.post('/contact/setAdmin', { comId: conv.id, userId: user.ID, admin: !admin }),
            `${user.Name} is ${admin ? 'a member' : 'an admin'} now.`).then(() => loadMembers(conv));
        }, { className: 'secondary', 'aria-label': `${admin ? 'Revoke admin of' : 'Make admin'} ${user.Name}` }),
        miniButton('Make owner', async () => {
          if (await confirmAction({ title: `Hand ${conv.name} to ${fullName(user)}?`, text: 'They become its owner; you stay a member.', action: 'Hand over' })) {
            act(() => api.post('/contact/transferGroup', { comId: conv.id, userId: user.ID })).then(() => loadMembers(conv));
          }
        }, { className: 'secondary', 'aria-label': `Make ${user.Name} the owner` }),
        miniButton('Remove', async () => {
          if (await confirmAction({ title: `Remove ${fullName(user)} from ${conv.name}?`, text: 'They cannot rejoin on their own.', action: 'Remove' })) {
            act(() => api.post('/contact/removeMember', { comId: conv.id, userId: user.ID })).then(() => loadMembers(conv));
          }
        }, { className: 'danger', 'aria-label': `Remove ${user.Name}` }));
    }
    return item;
  });
  $('member-list').replaceChildren(...items);
  $('group-owner-tools').hidden = !owner;
  renderGroupSettings(conv, data.Rows || []);
}

// The owner's settings, and "Add people" (friends who are not members).
function renderGroupSettings(conv, members) {
  const owner = conv.role === 'owner';
  $('group-settings').hidden = !owner;
  if (owner) {
    $('group-policy').value = conv.policy || 'open';
    $('group-history').value = conv.history || 'all';
    $('group-who-may-add').value = conv.whoMayAdd || 'members';
  }
  $('group-add').hidden = !(owner || conv.role === 'admin' || conv.whoMayAdd !== 'admins');
  const inGroup = new Set(members.map((user) => user.ID));
  const friends = [...state.convs.values()].filter((c) => c.type === PRIVATE && !inGroup.has(c.id));
  friends.sort((a, b) => a.name.localeCompare(b.name));
  const items = friends.map((friend) => el('li', { dataset: { userId: friend.id } },
    avatar({ name: friend.name, url: friend.avatar, id: friend.id }),
    el('span', { className: 'name', text: friend.name }),
    miniButton('Add', () => {
      act(() => api.post('/contact/addMember', { comId: conv.id, userId: friend.id }),
        `${friend.name} added to ${conv.name}.`).then(() => loadMembers(conv));
    }, { 'aria-label': `Add ${friend.name}` })));
  $('add-people-list').replaceChildren(
    ...(items.length ? items : [el('li', { className: 'empty', text: 'All your friends are members.' })]));
}

export function initGroupPanel() {
  $('remove-friend-btn').addEventListener('click', async () => {
    const conv = currentConv();
    if (!conv || !(await confirmAction({ title: `Remove ${conv.name} from your friends?`, text: 'You keep the history; to chat again, add them again.', action: 'Remove friend' }))) return;
    act(() => api.post('/contact/removeFriend', { targetId: conv.id }), `${conv.name} is no longer your friend.`);
  });
  $('block-btn').addEventListener('click', async () => {
    const conv = currentConv();
    if (!conv || !(await confirmAction({ title: `Block ${conv.name}?`, text: 'They will not be able to message you or ask to be your friend.', action: 'Block' }))) return;
    act(() => api.post('/contact/block', { targetId: conv.id }), `${conv.name} is blocked.`);
  });
  $('leave-btn').addEventListener('click', async () => {
    const conv = currentConv();
    if (!conv || !(await confirmAction({ title: `Leave ${conv.name}?`, action: 'Leave' }))) return;
    act(() => api.post('/contact/quitGroup', { comId: conv.id }));
  });
  $('members-btn').addEventListener('click', () => {
    const conv = currentConv();
    const panel = $('group-panel');
    panel.hidden = !panel.hidden;
    $('members-btn').setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden && conv) {
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

  $('group-settings').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const conv = currentConv();
    if (!conv) return;
    busy(form, true);
    try {
      const data = await api.post('/contact/updateGroup', {
        comId: conv.id, policy: $('group-policy').value, history: $('group-history').value,
        whoMayAdd: $('group-who-may-add').value,
      });
      // Before the group_updated notice redraws the panel from these.
      Object.assign(conv, { policy: data.Data.Policy, history: data.Data.History, whoMayAdd: data.Data.WhoMayAdd });
      formStatus(form, 'Settings saved.', true);
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
      const icon = await uploadFrom($('group-edit-icon'));
      if (icon) fields.icon = icon;
      const data = await api.post('/contact/updateGroup', fields);
      $('group-edit-icon').value = '';
      formStatus(form, `Saved: ${data.Data.Name}.`, true);
      await refreshLists();
    } catch (err) {
      formStatus(form, err.message, false);
    } finally {
      busy(form, false);
    }
  });
}
