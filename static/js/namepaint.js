// Names drawn again when they arrive (issue 27). names.js dispatches
// "ginchat:user-known" ({ id }) once a person's name is known (or changed);
// here every place that showed them is brought up to date:
//   - bubbles' sender names and avatars, on screen and kept for other chats;
//   - replies' quotes of them and reaction chips naming them, in place (text,
//     title and label: a button under the pointer or the keyboard stays);
//   - the ticks' readers, the lists' previews ("Ana: …"), a private chat's title.
// (richtext.js redraws the mentions of them itself.)

import { renderHeader } from './conversation.js';
import { scheduleListRender } from './convlist.js';
import { shownName, userInfo } from './names.js';
import { renameChips } from './reactions.js';
import { refreshTicks } from './receipts.js';
import { renameQuotes } from './replies.js';
import { PRIVATE } from './constants.js';
import { currentConv } from './convs.js';
import { messagesEl } from './dom.js';
import { state } from './state.js';
import { fillAvatar } from './view.js';

// The open conversation's list and the bubbles kept for the others.
function roots() {
  const all = [messagesEl];
  for (const conv of state.convs.values()) all.push(...conv.nodes.values());
  return all;
}

function paintSenders(id, user) {
  for (const box of roots()) {
    for (const node of box.querySelectorAll(`[data-sender-id="${Number(id)}"]`)) {
      if (node.classList.contains('avatar')) fillAvatar(node, { name: shownName(user), url: user.Avatar, id });
      else {
        node.textContent = shownName(user);
        node.title = `@${user.Name}`;
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
    for (const box of roots()) {
      renameQuotes(box, id);
      renameChips(box, id);
    }
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
