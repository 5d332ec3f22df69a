// The unread total outside the page: the tab's title (and, where a feature
// extends it, the favicon). setUnreadTotal(n) is called whenever the lists
// are drawn; onUnreadTotal(fn) lets a feature module (notifications) follow it.

const baseTitle = document.title;
const listeners = [];
let last = -1;

export function onUnreadTotal(fn) {
  listeners.push(fn);
  if (last >= 0) fn(last);
}

export function setUnreadTotal(total) {
  document.title = document.hidden && total ? `(${total}) ${baseTitle}` : baseTitle;
  if (total === last) return;
  last = total;
  for (const fn of listeners) fn(total);
}
