// The "deactivated" mark (issue 18): a message whose sender an administrator
// deactivated stays in the conversation, marked. /user/find answers such a
// sender (with Deactivated: true) to the people who have its messages.

import { registerBubblePart } from './hooks.js';
import { GROUP } from './constants.js';
import { me, state } from './state.js';
import { messagesEl } from './dom.js';
import { userInfo } from './names.js';
import { t } from './i18n.js';

function mark() {
  return Object.assign(document.createElement('span'), {
    className: 'deactivated-mark',
    textContent: t('deactivated'),
    title: t('An administrator deactivated this account'),
  });
}

// Placeholders of senders still being looked up: shown once the answer says so.
function reveal(id) {
  if (!(state.users.get(id) || {}).Deactivated) return;
  for (const slot of messagesEl.querySelectorAll(`.deactivated-slot[data-deactivated-of="${id}"]`)) {
    slot.replaceWith(mark());
  }
}

function markFor(msg, conv) {
  const id = msg.UserId;
  if (msg.pending || !id || id === me.ID) return null;
  const known = state.users.get(id);
  if (known) return known.Deactivated ? mark() : null;
  // Group senders are looked up for their names anyway; a private peer is known from the lists.
  if (conv.type !== GROUP) return null;
  userInfo(id); // starts the lookup
  const lookup = state.lookups.get(id);
  if (!lookup) return null;
  lookup.then(() => reveal(id));
  const slot = document.createElement('span');
  slot.className = 'deactivated-slot';
  slot.hidden = true;
  slot.dataset.deactivatedOf = id;
  return slot;
}

export function initDeactivatedMark() {
  registerBubblePart((msg, conv) => markFor(msg, conv), { where: 'top' });
}
