// One-time tips of the chat app (issue 27): the first account is told that it
// is the administrator, with the admin page's link. Dismissed with "Got it"
// or by following the link; the server remembers it (POST /user/dismissTip),
// so it is told once across devices.

import { post } from './api.js';

const tip = document.getElementById('admin-tip');

function dismiss() {
  return post('/user/dismissTip', { tip: 'first_admin' });
}

if (tip) {
  document.getElementById('admin-tip-ok').addEventListener('click', () => {
    tip.remove();
    dismiss().catch(() => {}); // not remembered: it shows again next time, no harm
  });
  const link = document.getElementById('admin-tip-link');
  if (link) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      dismiss().catch(() => {}).finally(() => { location.href = link.href; });
    });
  }
}
