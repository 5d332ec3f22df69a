// Edit: the sender's own text messages get "Edit" in their menu, which
// turns the bubble's text into an inline editor (Enter or Save keeps it,
// Esc or Cancel leaves it); edited messages show "edited" beside the time.

import * as api from './api.js';
import { applyChange } from './changes.js';
import { redrawMessage, registerBubblePart, registerContentRenderer, registerMessageAction } from './hooks.js';
import { TEXT, me, root, toast } from './state.js';
import { clock, el } from './view.js';
import { composing } from './keys.js';
import { t } from './i18n.js';

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
    toast(t('A message cannot be empty: recall it instead.'));
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

export function initEdits() {
  registerMessageAction({
    id: 'edit',
    label: t('Edit'),
    when: (msg) => msg.UserId === me.ID && msg.Media === TEXT && !msg.Recalled,
    run: (msg, conv) => {
      editing = { key: conv.key, id: msg.Id };
      redrawMessage(conv, msg.Id);
    },
  });
  registerContentRenderer((msg, conv) => (isEditing(msg, conv) ? editor(conv, msg) : null));
  registerBubblePart((msg) => (msg.Edited && !msg.Recalled
    ? el('span', { className: 'edited', text: t('edited'), title: t('edited at {time}', { time: clock(msg.Edited) }) })
    : null), { where: 'meta' });
}
