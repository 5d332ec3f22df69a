// The admin page: people, invitations, groups, the audit log and the server
// view (every node, refreshed every few seconds), over the
// /admin/... routes (the server refuses anyone but an administrator).

import { get, post } from './api.js';

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
  return ms ? new Date(ms).toLocaleString() : '';
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
    cell(tr, u.Role || 'member');
    cell(tr, u.Deactivated ? 'deactivated' : 'active');
    const td = cell(tr, '');
    const admin = u.Role === 'admin';
    button(td, admin ? 'Make member' : 'Make admin', async () => {
      await post('/admin/setRole', { userId: u.ID, role: admin ? 'member' : 'admin' });
      await refresh(`${u.Name}'s role changed`);
    });
    button(td, u.Deactivated ? 'Reactivate' : 'Deactivate', async () => {
      await post(u.Deactivated ? '/admin/reactivate' : '/admin/deactivate', { userId: u.ID });
      await refresh(`${u.Name} ${u.Deactivated ? 'reactivated' : 'deactivated'}`);
    });
    button(td, 'Reset link', async () => {
      const made = await post('/admin/resetLink', { userId: u.ID });
      $('#reset-link').textContent = `Reset link for ${u.Name} (shown once, valid an hour): ${location.origin}${made.Data.Link}`;
      await audit();
    });
  });
}

async function invitations() {
  const data = await post('/admin/invitations');
  fill('#invitations', data.Rows, (tr, inv) => {
    cell(tr, inv.ID);
    cell(tr, inv.Live ? `${inv.UsesLeft} of ${inv.MaxUses}` : 'no longer valid');
    cell(tr, when(inv.Expires));
    const td = cell(tr, '');
    if (inv.Live) {
      button(td, 'Revoke', async () => {
        await post('/admin/revokeInvitation', { id: inv.ID });
        await refresh('invitation revoked');
      });
    }
  });
}

async function groups() {
  const data = await post('/admin/groups', { size: 100 });
  fill('#groups', data.Rows, (tr, g) => {
    cell(tr, g.ID);
    cell(tr, g.Name);
    cell(tr, g.Orphaned ? `${g.OwnerName || g.OwnerId} (gone)` : g.OwnerName);
    cell(tr, g.Members);
    cell(tr, g.Policy);
    const td = cell(tr, '');
    button(td, 'Dissolve', async () => {
      if (!window.confirm(`Dissolve ${g.Name} with all its messages?`)) return;
      await post('/admin/dissolveGroup', { comId: g.ID });
      await refresh(`${g.Name} dissolved`);
    });
  });
}

async function audit() {
  const data = await post('/admin/audit', { size: 50 });
  fill('#audit', data.Rows, (tr, e) => {
    cell(tr, when(e.Time));
    cell(tr, e.ActorId || 'server');
    cell(tr, e.Action);
    cell(tr, e.TargetUserId || (e.TargetGroupId ? `group ${e.TargetGroupId}` : ''));
    cell(tr, e.Detail);
  });
}

// The server view: every node's last snapshot (GET /admin/nodes), refreshed
// every few seconds while the page is visible.
const NODES_EVERY_MS = 5000;

function serviceState(s) {
  if (!s) return '';
  return `${s.Ok ? 'ok' : `down (${s.Error || 'no answer'})`}: ${s.Backend ? `${s.Backend} ` : ''}${s.Url || ''}`;
}

function ago(seconds) {
  return seconds < 1 ? 'just now' : `${Math.round(seconds)} s ago`;
}

async function nodes() {
  const data = await get('/admin/nodes');
  fill('#nodes', data.Rows, (tr, n) => {
    tr.dataset.node = n.Node;
    tr.dataset.state = n.State;
    cell(tr, n.This ? `${n.Node} (this one)` : n.Node);
    cell(tr, n.State).className = `node-${n.State}`;
    cell(tr, `${n.Host} (pid ${n.Pid}${n.Worker != null ? `, worker ${n.Worker}` : ''})`);
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
  await Promise.all([people(), invitations(), groups(), audit()]);
  if (message) say(message);
}

$('#registration').addEventListener('change', (ev) => {
  post('/admin/registration', { registration: ev.target.value })
    .then((data) => refresh(`registration: ${data.Data.Registration}`))
    .catch((err) => say(err.message));
});
$('#invite-make').addEventListener('click', () => {
  post('/admin/createInvitation', { uses: $('#invite-uses').value || 1 })
    .then(async (made) => {
      $('#invite-link').textContent = `Invitation link (shown once): ${location.origin}${made.Data.Link}`;
      await refresh('invitation made');
    })
    .catch((err) => say(err.message));
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
