// Edit: the sender's own text messages get "Edit" in their menu, which
// turns the bubble's text into an inline editor (Enter or Save keeps it,
// Esc or Cancel leaves it); edited messages show "edited" beside the time.

import * as api from './api.js';
import { applyChange } from './changes.js';
import { redrawMessage, registerBubblePart, registerContentRenderer, registerMessageAction } from './hooks.js';
import { TEXT, me, root, toast } from './state.js';
import { clock, el } from './view.js';

let editing = null; // { key, id }

function isEditing(msg, conv) {
  return !!editing && editing.key === conv.key && editing.id === msg.Id;
}

function stop(conv, id) {
  editing = null;
  redrawMessage(conv, id);
}

async function save(conv, msg, text) {
  if (!text.trim()) {
    toast('A message cannot be empty: recall it instead.');
    return;
  }
  if (text === msg.Content) {
    stop(conv, msg.Id);
    return;
  }
  try {
    const data = await api.post('/message/edit', { id: msg.Id, content: text });
    editing = null;
    applyChange(data.Data);
  } catch (err) {
    toast(`Not edited: ${err.message}`);
  }
}

function editor(conv, msg) {
  const area = el('textarea', {
    className: 'edit-input', rows: '2', 'aria-label': 'Edit the message', maxlength: root.dataset.maxChars || '4096',
  });
  area.value = msg.Content;
  const form = el('form', { className: 'edit-form' }, area,
    el('span', { className: 'edit-buttons' },
      el('button', { type: 'button', className: 'link edit-cancel', text: 'Cancel', onclick: () => stop(conv, msg.Id) }),
      el('button', { type: 'submit', className: 'edit-save', text: 'Save' })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save(conv, msg, area.value);
  });
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
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

export function initEdits() {
  registerMessageAction({
    id: 'edit',
    label: 'Edit',
    when: (msg) => msg.UserId === me.ID && msg.Media === TEXT && !msg.Recalled,
    run: (msg, conv) => {
      editing = { key: conv.key, id: msg.Id };
      redrawMessage(conv, msg.Id);
    },
  });
  registerContentRenderer((msg, conv) => (isEditing(msg, conv) ? editor(conv, msg) : null));
  registerBubblePart((msg) => (msg.Edited && !msg.Recalled
    ? el('span', { className: 'edited', text: 'edited', title: `edited at ${clock(msg.Edited)}` })
    : null), { where: 'meta' });
}
