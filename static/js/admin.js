// The admin page: people, invitations, groups, the audit log and the server
// view (every node, refreshed every few seconds), over the
// /admin/... routes (the server refuses anyone but an administrator).

import { get, post } from './api.js';
import { language, t } from './i18n.js';
import { secureUrl } from './secure.js';

const $ = (sel) => document.querySelector(sel);
const status = $('#admin-status');

function say(text) {
  status.textContent = text;
}

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text;
  row.appendChild(td);
  return td;
}

function button(td, label, action) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', () => action().catch((err) => say(err.message)));
  td.appendChild(b);
}

function when(ms) {
  return ms ? new Date(ms).toLocaleString(language) : '';
}

function fill(table, rows, render) {
  const body = $(table).tBodies[0];
  body.replaceChildren();
  for (const item of rows) {
    const tr = document.createElement('tr');
    render(tr, item);
    body.appendChild(tr);
  }
}

async function people() {
  const data = await post('/admin/users', { q: $('#people-q').value.trim(), size: 100 });
  fill('#people', data.Rows, (tr, u) => {
    tr.dataset.userId = u.ID;
    cell(tr, u.ID);
    cell(tr, u.Name);
    cell(tr, u.Role === 'admin' ? t('admin') : t('member'));
    cell(tr, u.Deactivated ? t('deactivated') : t('active'));
    const td = cell(tr, '');
    const admin = u.Role === 'admin';
    button(td, admin ? t('Make member') : t('Make admin'), async () => {
      await post('/admin/setRole', { userId: u.ID, role: admin ? 'member' : 'admin' });
      await refresh(t("{name}'s role changed", { name: u.Name }));
    });
    button(td, u.Deactivated ? t('Reactivate') : t('Deactivate'), async () => {
      await post(u.Deactivated ? '/admin/reactivate' : '/admin/deactivate', { userId: u.ID });
      await refresh(t(u.Deactivated ? '{name} reactivated' : '{name} deactivated', { name: u.Name }));
    });
    button(td, t('Reset link'), async () => {
      const made = await post('/admin/resetLink', { userId: u.ID });
      $('#reset-link').textContent = t('Reset link for {name} (shown once, valid an hour): {link}', { name: u.Name, link: `${shareableOrigin()}${made.Data.Link}` });
      await audit();
    });
  });
}

async function invitations() {
  const data = await post('/admin/invitations');
  fill('#invitations', data.Rows, (tr, inv) => {
    cell(tr, inv.ID);
    cell(tr, inv.Live ? t('{left} of {max}', { left: inv.UsesLeft, max: inv.MaxUses }) : t('no longer valid'));
    cell(tr, when(inv.Expires));
    const td = cell(tr, '');
    if (inv.Live) {
      button(td, t('Revoke'), async () => {
        await post('/admin/revokeInvitation', { id: inv.ID });
        await refresh(t('invitation revoked'));
      });
    }
  });
}

async function groups() {
  const data = await post('/admin/groups', { size: 100 });
  fill('#groups', data.Rows, (tr, g) => {
    tr.dataset.groupId = g.ID;
    cell(tr, g.ID);
    cell(tr, g.Name);
    cell(tr, g.Orphaned ? t('{name} (gone)', { name: g.OwnerName || g.OwnerId }) : g.OwnerName);
    cell(tr, g.Members);
    cell(tr, g.Policy === 'open' ? t('open') : t('invite only'));
    defaultCell(cell(tr, ''), g);
    const td = cell(tr, '');
    button(td, t('Dissolve'), async () => {
      if (!window.confirm(t('Dissolve {name} with all its messages?', { name: g.Name }))) return;
      await post('/admin/dissolveGroup', { comId: g.ID });
      await refresh(t('{name} dissolved', { name: g.Name }));
    });
  });
}

// Default groups (issue 27): every new account joins them. A checkbox per
// group sets the mark (POST /admin/defaultGroups); "Add everyone now" brings
// in the accounts made before it was marked.
function defaultCell(td, g) {
  td.className = 'default-cell';
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = !!g.Default;
  box.setAttribute('aria-label', t('New accounts join {name}', { name: g.Name }));
  box.addEventListener('change', () => {
    const on = box.checked;
    post('/admin/defaultGroups', { comId: g.ID, default: on })
      .then(() => refresh(t(on ? '{name} is now a default group' : '{name} is no longer a default group', { name: g.Name })))
      .catch((err) => {
        box.checked = !on;
        say(err.message);
      });
  });
  td.appendChild(box);
  if (g.Default) {
    button(td, t('Add everyone now'), async () => {
      const done = await post('/admin/defaultGroups', { comId: g.ID, default: true, everyone: true });
      await refresh(t('{n} more people joined {name}', { n: done.Data.Joined, name: g.Name }));
    });
  }
}

async function defaultGroups() {
  const data = await get('/admin/defaultGroups');
  $('#default-groups').textContent = data.Rows.length ? data.Rows.map((g) => g.Name).join(t(', ')) : t('None');
}

async function audit() {
  const data = await post('/admin/audit', { size: 50 });
  fill('#audit', data.Rows, (tr, e) => {
    cell(tr, when(e.Time));
    cell(tr, e.ActorId || t('server'));
    cell(tr, ACTIONS[e.Action] || e.Action);
    cell(tr, e.TargetUserId || (e.TargetGroupId ? t('group {id}', { id: e.TargetGroupId }) : ''));
    cell(tr, e.Detail);
  });
}

// What each audit action is called on the page.
const ACTIONS = {
  first_admin: t('first administrator'),
  set_role: t('role changed'),
  create_user: t('account created'),
  deactivate: t('deactivated'),
  reactivate: t('reactivated'),
  delete: t('account deleted'),
  set_registration: t('registration changed'),
  invite: t('invitation made'),
  revoke_invitation: t('invitation revoked'),
  transfer_group: t('group handed over'),
  dissolve_group: t('group dissolved'),
  reset_link: t('reset link made'),
  password_reset: t('password reset'),
  default_group: t('default group changed'),
};

// The server view: every node's last snapshot (GET /admin/nodes), refreshed
// every few seconds while the page is visible.
const NODES_EVERY_MS = 5000;
const NODE_STATES = { up: t('up'), stale: t('stale'), stopped: t('stopped') };

function serviceState(s) {
  if (!s) return '';
  const state = s.Ok ? t('ok') : t('down ({error})', { error: s.Error || t('no answer') });
  return `${state}: ${s.Backend ? `${s.Backend} ` : ''}${s.Url || ''}`;
}

function ago(seconds) {
  return seconds < 1 ? t('just now') : t('{n} s ago', { n: Math.round(seconds) });
}

async function nodes() {
  const data = await get('/admin/nodes');
  fill('#nodes', data.Rows, (tr, n) => {
    tr.dataset.node = n.Node;
    tr.dataset.state = n.State;
    cell(tr, n.This ? t('{node} (this one)', { node: n.Node }) : n.Node);
    cell(tr, NODE_STATES[n.State] || n.State).className = `node-${n.State}`;
    cell(tr, n.Worker != null
      ? t('{host} (pid {pid}, worker {worker})', { host: n.Host, pid: n.Pid, worker: n.Worker })
      : t('{host} (pid {pid})', { host: n.Host, pid: n.Pid }));
    cell(tr, n.Connections);
    const bus = n.BusStats || {};
    cell(tr, `${n.Bus}: ${bus.sent ?? 0} / ${bus.received ?? 0}`);
    cell(tr, n.StoreQueue);
    cell(tr, serviceState(n.Database));
    cell(tr, serviceState(n.Redis));
    cell(tr, `${when(n.LastSeen)} (${ago(n.Age)})`);
  });
}

function watchNodes() {
  const tick = () => {
    if (document.visibilityState === 'visible') nodes().catch((err) => say(err.message));
  };
  setInterval(tick, NODES_EVERY_MS);
  document.addEventListener('visibilitychange', tick);
}

async function refresh(message) {
  await Promise.all([people(), invitations(), groups(), defaultGroups(), audit()]);
  if (message) say(message);
}

$('#registration').addEventListener('change', (ev) => {
  post('/admin/registration', { registration: ev.target.value })
    .then((data) => refresh(t('registration: {mode}', { mode: data.Data.Registration })))
    .catch((err) => say(err.message));
});
// Links for others: the https address when the server has one (issue 25), so
// that the newcomer's browser allows voice clips and notifications.
function shareableOrigin() {
  if (location.protocol === 'https:') return location.origin;
  const secure = secureUrl();
  return secure ? secure.replace(/\/$/, '') : location.origin;
}

$('#invite-make').addEventListener('click', () => {
  post('/admin/createInvitation', { uses: $('#invite-uses').value || 1 })
    .then(async (made) => {
      $('#invite-made').hidden = false;
      $('#invite-url').value = `${shareableOrigin()}${made.Data.Link}`;
      $('#invite-copied').textContent = '';
      $('#invite-url').select();
      await refresh(t('invitation made'));
    })
    .catch((err) => say(err.message));
});
$('#invite-copy').addEventListener('click', async () => {
  const input = $('#invite-url');
  const note = $('#invite-copied');
  note.textContent = '';
  try {
    await navigator.clipboard.writeText(input.value);
  } catch (err) {
    // No clipboard API (a plain-http LAN page): the selection and the old command.
    input.focus();
    input.select();
    if (!document.execCommand('copy')) {
      note.textContent = t('Select the link and copy it.');
      return;
    }
  }
  note.textContent = t('Copied.');
});
let searching = null;
$('#people-q').addEventListener('input', () => {
  clearTimeout(searching);
  searching = setTimeout(() => people().catch((err) => say(err.message)), 250);
});

post('/admin/registration')
  .then((data) => {
    $('#registration').value = data.Data.Registration;
    return Promise.all([refresh(''), nodes()]);
  })
  .catch((err) => say(err.message));
watchNodes();
