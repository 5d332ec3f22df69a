// Names drawn again when they arrive (issue 27). names.js dispatches
// "ginchat:user-known" ({ id }) once a person's name is known (or changed);
// here every place that showed them is brought up to date:
//   - bubbles' sender names and avatars, on screen and kept for other chats;
//   - the messages of the open conversation that name them in a reply's
//     quote or a reaction (drawn again; those kept for other conversations
//     are dropped, to be drawn afresh when opened);
//   - the ticks' readers, the lists' previews ("Ana: …"), a private chat's title.
// (richtext.js redraws the mentions of them itself.)

import { renderHeader } from './conversation.js';
import { scheduleListRender } from './convlist.js';
import { redrawMessage } from './hooks.js';
import { shownName, userInfo } from './names.js';
import { refreshTicks } from './receipts.js';
import { PRIVATE, currentConv, messagesEl, state } from './state.js';
import { fillAvatar } from './view.js';

function paintSenders(id, user) {
  const roots = [messagesEl];
  for (const conv of state.convs.values()) roots.push(...conv.nodes.values());
  for (const box of roots) {
    for (const node of box.querySelectorAll(`[data-sender-id="${Number(id)}"]`)) {
      if (node.classList.contains('avatar')) fillAvatar(node, { name: shownName(user), url: user.Avatar, id });
      else {
        node.textContent = shownName(user);
        node.title = `@${user.Name}`;
      }
    }
  }
}

// Whether `msg` shows user `id` other than as its sender.
function names(conv, msg, id) {
  if ((msg.Reactions || []).some((r) => (r.UserIds || []).includes(id))) return true;
  const replyTo = msg.ReplyTo || (msg.extra && msg.extra.ReplyTo);
  if (!replyTo) return false;
  if (msg.Reply && msg.Reply.UserId) return msg.Reply.UserId === id;
  const original = conv.messages.get(replyTo);
  return !!original && original.UserId === id;
}

function redrawNaming(id) {
  const open = currentConv();
  for (const conv of state.convs.values()) {
    for (const [msgId, node] of [...conv.nodes]) {
      const msg = conv.messages.get(msgId);
      if (!msg || !names(conv, msg, id)) continue;
      if (conv !== open) {
        conv.nodes.delete(msgId);
      } else if (!node.contains(document.activeElement) || !node.querySelector('.edit-form')) {
        const focused = node.contains(document.activeElement) && document.activeElement === node;
        redrawMessage(conv, msgId);
        if (focused) { // the keyboard was on it (msgkeys.js): it stays there
          const again = conv.nodes.get(msgId);
          if (again) again.focus({ preventScroll: true });
        }
      }
    }
  }
}

export function initNamePaint() {
  document.addEventListener('ginchat:user-known', (event) => {
    const id = event.detail.id;
    const user = userInfo(id);
    if (user.placeholder) return;
    paintSenders(id, user);
    redrawNaming(id);
    const chat = state.convs.get(`u${id}`);
    if (chat && chat.type === PRIVATE && chat.name !== shownName(user)) {
      chat.name = shownName(user);
      chat.handle = user.Name;
      renderHeader();
    }
    const open = currentConv();
    if (open) refreshTicks(open);
    scheduleListRender();
  });
}
