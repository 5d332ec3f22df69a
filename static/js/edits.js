// Edit: the sender's own text messages get "Edit" in their menu, which
// turns the bubble's text into an inline editor (Enter or Save keeps it,
// Esc or Cancel leaves it); edited messages show "edited" beside the time.
// Up in an empty composer edits my last text of the open conversation, as
// other chat apps do; the focus goes back to the composer afterwards.

import * as api from './api.js';
import { applyChange } from './changes.js';
import { registerBubblePart, registerContentRenderer, registerMessageAction } from './hooks.js';
import { redrawMessage } from './messages.js';
import { TEXT } from './constants.js';
import { currentConv } from './convs.js';
import { input, messagesEl, root } from './dom.js';
import { me } from './state.js';
import { clock, el, toast } from './view.js';
import { composing } from './keys.js';
import { t } from './i18n.js';

let editing = null; // { key, id, fromComposer }

function isEditing(msg, conv) {
  return !!editing && editing.key === conv.key && editing.id === msg.Id;
}

function backToComposer(was) {
  if (was && was.fromComposer && input.isConnected) input.focus();
}

function stop(conv, id) {
  const was = editing;
  editing = null;
  redrawMessage(conv, id);
  backToComposer(was);
}

async function save(conv, msg, text) {
  if (!text.trim()) {
    toast(t('A message cannot be empty: recall it instead.'));
    return;
  }
  if (text === msg.Content) {
    stop(conv, msg.Id);
    return;
  }
  try {
    const data = await api.post('/message/edit', { id: msg.Id, content: text });
    const was = editing;
    editing = null;
    applyChange(data.Data);
    backToComposer(was);
  } catch (err) {
    toast(t('Not edited: {error}', { error: err.message }));
  }
}

function editor(conv, msg) {
  const area = el('textarea', {
    className: 'edit-input', rows: '2', 'aria-label': t('Edit the message'), maxlength: root.dataset.maxChars || '4096',
  });
  area.value = msg.Content;
  const form = el('form', { className: 'edit-form' }, area,
    el('span', { className: 'edit-buttons' },
      el('button', { type: 'button', className: 'link edit-cancel', text: t('Cancel'), onclick: () => stop(conv, msg.Id) }),
      el('button', { type: 'submit', className: 'edit-save', text: t('Save') })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save(conv, msg, area.value);
  });
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !composing(event)) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      stop(conv, msg.Id);
    }
  });
  setTimeout(() => {
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  }, 0);
  return form;
}

function editable(msg) {
  return msg.UserId === me.ID && msg.Media === TEXT && !msg.Recalled;
}

// The bubble row of message `id`: in the conversation or in a thread's panel
// (a thread's view of the conversation keeps its own nodes).
function rowOf(conv, id) {
  const node = conv.nodes && conv.nodes.get(id);
  return node && node.isConnected ? node : messagesEl.querySelector(`.msg[data-id="${Number(id)}"]`);
}

export function startEdit(conv, msg, fromComposer = false) {
  editing = { key: conv.key, id: msg.Id, fromComposer };
  redrawMessage(conv, msg.Id);
  const row = rowOf(conv, msg.Id);
  if (row) row.scrollIntoView({ block: 'nearest' });
}

// My newest stored text message in `conv` (a stored one: the server edits by Id).
function lastOfMine(conv) {
  let last = null;
  for (const msg of conv.messages.values()) {
    if (editable(msg) && (!last || msg.Id > last.Id)) last = msg;
  }
  return last;
}

export function initEdits() {
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowUp' || event.defaultPrevented || event.shiftKey || event.altKey || event.ctrlKey
      || event.metaKey || composing(event) || input.value !== '') return;
    const conv = currentConv();
    const msg = conv && lastOfMine(conv);
    if (!msg) return;
    event.preventDefault();
    startEdit(conv, msg, true);
  });
  registerMessageAction({
    id: 'edit',
    label: t('Edit'),
    when: editable,
    run: (msg, conv) => startEdit(conv, msg),
  });
  registerContentRenderer((msg, conv) => (isEditing(msg, conv) ? editor(conv, msg) : null));
  registerBubblePart((msg) => (msg.Edited && !msg.Recalled
    ? el('span', { className: 'edited', text: t('edited'), title: t('edited at {time}', { time: clock(msg.Edited) }) })
    : null), { where: 'meta' });
}
