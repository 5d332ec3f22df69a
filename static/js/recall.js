// Recall: an entry of the message menu, offered only while the server's
// RECALL_SECONDS window is open (a few seconds' margin for clock skew and
// the trip), and each own bubble is redrawn when its window closes.

import * as api from './api.js';
import { registerBubblePart, registerMessageAction } from './hooks.js';
import { redrawMessage } from './messages.js';
import { RECALL_MS } from './constants.js';
import { me, state } from './state.js';
import { toast } from './view.js';
import { t } from './i18n.js';

const MARGIN_MS = 5000;

function recallLeft(msg) {
  return RECALL_MS - MARGIN_MS - (Date.now() - msg.CreateTime);
}

export function canRecall(msg) {
  return !msg.pending && !msg.Recalled && msg.UserId === me.ID && recallLeft(msg) > 0;
}

export function recall(msg) {
  if (!state.socket || !state.socket.send({ Type: 13, Id: msg.Id })) {
    api.post('/message/recall', { id: msg.Id }).catch((err) => toast(err.message));
  }
}

// Each own bubble drawn is drawn again once Recall is gone.
function whenRecallEnds(conv, msg) {
  if (!canRecall(msg)) return;
  setTimeout(() => {
    if (conv.nodes.has(msg.Id)) redrawMessage(conv, msg.Id);
  }, recallLeft(msg) + 50);
}

export function initRecall() {
  registerMessageAction({
    id: 'recall', label: t('Recall'), danger: true,
    when: (msg) => canRecall(msg),
    run: (msg) => recall(msg),
  });
  // Adds nothing to the bubble: it sets the timer of each bubble drawn.
  registerBubblePart((msg, conv) => {
    whenRecallEnds(conv, msg);
    return null;
  }, { where: 'meta' });
}
