// The entry point of /toChat: wires the view modules together and starts
// the lists, then the WebSocket with resume-by-Id. Modules:
//   constants.js    fixed values: conversation and media types, timings, the server's limits
//   dom.js          the page's fixed elements ($, root, the message pane, the text box)
//   state.js        the mutable state: me, the conversations, pending messages, the socket, read cursors
//   convs.js        the conversations as data: keys, created on first sight, merging history
//   convlist.js     the lists (rows, previews, unread counts) and the tab bar
//   conversation.js the open conversation: routing, header, history, marking read
//   messages.js     the bubbles: content, ticks or failed state, redrawMessage (its buttons' actions handed in)
//   receipts.js     the ticks: sent, delivered, read, read by N
//   catchup.js      opening at the first unread, read only when seen, jump to latest
//   msgmenu.js      the per-message "⋯" menu
//   msgkeys.js      the message list as one tab stop: arrows between messages, Enter for "⋯"
//   names.js        how people are shown, and the one batched, cached lookup of them by id
//   namepaint.js    what shows a person drawn again when their name arrives
//   recall.js       Recall, a menu entry while the server's window is open
//   unread.js       the unread total in the title (setUnreadTotal, onUnreadTotal)
//   hooks.js        extension points for feature modules (see its header)
//   frames.js       incoming WebSocket frames
//   composer.js     sending text, emoji, pictures and voice; failed + Retry
//   keys.js         Esc closes one thing at a time; the live region announcing messages
//   me.js           the Contacts, Groups and Me forms
//   grouppanel.js   conversation tools and the group panel
//   deactivated.js  the "deactivated" mark on a deactivated sender's messages
//   files.js        files of any type: the chooser, upload progress, file cards
//   richtext.js     text bodies through format.js (Markdown subset, safe links)
//   search.js       the "Search messages" box, its results, opening a hit
//   switcher.js     Ctrl+K or "/": the quick switcher over people, groups and chats
//   forward.js      Forward (one, several one by one, or merged into a chat record), their look
//   directory.js    the People tab: everyone on the server, one click to message (issue 27)
//   picker.js       choosing people: the create-group form's members, a group's "Add people"
//   pins.js         pinned messages (the header's list) and my Saved messages (Me tab)
//   announce.js     announcement groups (read-only composer) and the group notice
//   threads.js      threads: the side panel (its own composer), the root's line, the Threads tab
//   copytext.js     Copy text, a menu entry of text messages
//   calls.js        calls (issue 29): ringing, the peer connections, the record; callview.js
//                   callmedia.js calltext.js: its screens, devices and sounds, words
//   changes.js edits.js replies.js reactions.js mentions.js: a message's changes (Type 15),
//                   Edit, Reply (quotes, jump to the original), reactions, @mentions
// Feature modules register through hooks.js from an init function called below.
// A lower module never imports the modules that drive it (README, Architecture):
// they hand it their functions here, at start, or it tells them by a ginchat:* event.

import * as api from './api.js';
import { discard, initComposer, retry, transmit } from './composer.js';
import { initCalls } from './calls.js';
import { initCatchUp } from './catchup.js';
import { enlarge, initConversation, loadEarlier, route } from './conversation.js';
import { initDeactivatedMark } from './deactivated.js';
import { initTabs, readListsFromPage, refreshLists, renderLists, scheduleListRender, updateTitle } from './convlist.js';
import { initFiles } from './files.js';
import { handleFrame } from './frames.js';
import { initGroupPanel } from './grouppanel.js';
import { initKeys } from './keys.js';
import { act, initMe, loadRequests, renderMe } from './me.js';
import { initMessages, renderMessages } from './messages.js';
import { initMessageMenu } from './msgmenu.js';
import { initMessageKeys } from './msgkeys.js';
import { initNamePaint } from './namepaint.js';
import { initRecall } from './recall.js';
import { initRichText } from './richtext.js';
import { initSearch } from './search.js';
import { ChatSocket } from './socket.js';
import { initChanges } from './changes.js';
import { initEdits } from './edits.js';
import { initMentions } from './mentions.js';
import { initReactions } from './reactions.js';
import { initReplies } from './replies.js';
import { initForward } from './forward.js';
import { initNotify } from './notify.js';
import { initPeople } from './people.js';
import { initDirectory } from './directory.js';
import { initGroupPicker } from './picker.js';
import { initPins } from './pins.js';
import { initAnnouncements } from './announce.js';
import { initSettings } from './settings.js';
import { initSwitcher } from './switcher.js';
import { initThreads } from './threads.js';
import { $, root } from './dom.js';
import { POLL_MS } from './constants.js';
import { currentConv } from './convs.js';
import { reads, state } from './state.js';
import { initCopyText } from './copytext.js';
import { t } from './i18n.js';

document.documentElement.classList.add('js');

let countdown = null;
function showConnection({ state: connState, retryAt }) {
  const box = $('conn-status');
  const text = $('conn-text');
  box.dataset.state = connState;
  $('conn-retry').hidden = connState !== 'waiting' && connState !== 'offline';
  clearInterval(countdown);
  if (connState === 'open') text.textContent = t('Connected');
  else if (connState === 'connecting') text.textContent = t('Connecting…');
  else if (connState === 'reconnecting') text.textContent = t('Reconnecting…');
  else if (connState === 'offline') text.textContent = t('Offline'); // the browser has no network
  else if (connState === 'waiting') {
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      text.textContent = t('Offline · retrying in {n} s', { n: seconds });
    };
    tick();
    countdown = setInterval(tick, 1000);
  }
}

function initPage() {
  window.addEventListener('ginchat:unauthorized', () => {
    location.href = `/?next=${encodeURIComponent('/toChat' + location.hash)}`;
  });
  document.addEventListener('visibilitychange', () => {
    updateTitle();
    if (!document.hidden) refreshLists();
  });
  document.addEventListener('ginchat:lists-changed', scheduleListRender);
  reads.onChange = (key, id) => {
    const conv = state.convs.get(key);
    if (conv && conv.last && conv.last.Id <= id && conv.unread) {
      conv.unread = 0;
      scheduleListRender();
    }
  };
}

// The lists (with the server's unread counts and last messages), then the
// live socket from the newest of those messages.
async function start() {
  initTabs();
  initMessages({ loadEarlier, enlarge, retry, discard }); // the bubbles' buttons
  initConversation();
  initCatchUp();
  initMessageMenu();
  initMessageKeys();
  initNamePaint();
  initRecall();
  initComposer();
  initFiles();
  initMe();
  initGroupPanel();
  initDeactivatedMark();
  initSearch();
  initChanges(); // edit, reply, reactions, mentions: after the composer, editor before highlighting
  initEdits();
  initReplies();
  initForward(); // Forward, Select messages, "Forwarded from", chat record cards (issue 28)
  initReactions();
  initMentions();
  initRichText(); // after the editor: a message being edited shows the editor, not its text
  initDirectory(); // the People tab (issue 27)
  initGroupPicker({ act }); // create a group with its people
  initPins(); // issue 28: Pin/Save in the menu, the Pinned list, the Saved view
  initAnnouncements(); // issue 28: read-only groups, the group notice
  initPeople();
  initNotify();
  initSettings();
  initThreads();
  initCopyText();
  initCalls(); // issue 29: calls, their ringing and their records
  initPage();
  initKeys();
  initSwitcher();
  readListsFromPage();
  renderMe();
  renderLists();
  route();
  await refreshLists();
  state.ready = true;
  renderLists();
  loadRequests();
  const conv = currentConv();
  if (conv) renderMessages(conv);
  const socket = new ChatSocket({ heartbeatSeconds: root.dataset.heartbeat, getSince: () => state.lastId });
  state.socket = socket;
  document.dispatchEvent(new CustomEvent('ginchat:socket', { detail: socket })); // calls.js: hello, rejoin
  socket.addEventListener('state', (event) => {
    showConnection(event.detail);
    if (event.detail.state === 'waiting' && event.detail.attempt >= 3) {
      api.get('/message/sync', { since: state.lastId, limit: 1 }).catch(() => {}); // 401 -> log in again
    }
  });
  socket.addEventListener('frame', (event) => handleFrame(event.detail));
  socket.addEventListener('open', () => {
    state.socketOpenedAt = Date.now(); // notify.js: an @here sent before this was not for me
    refreshLists(); // presence and unread counts may have moved while the socket was down
    for (const msg of state.pending.values()) {
      if (msg.status === 'sending') transmit(msg);
    }
  });
  $('conn-retry').addEventListener('click', () => socket.retryNow());
  socket.start();
  setInterval(() => {
    if (!document.hidden) refreshLists();
  }, POLL_MS);
}

start();
