// Reactions: "React" in a message's menu opens a picker (a few common emoji,
// "More" for the whole emoji panel); a bubble shows one chip per emoji with
// its count (the title lists who reacted); clicking a chip adds or takes
// back my own reaction.

import * as api from './api.js';
import { applyChange } from './changes.js';
import { EMOJI } from './emoji.js';
import { registerBubblePart, registerMessageAction } from './hooks.js';
import { me } from './state.js';
import { messagesEl } from './dom.js';
import { nameOf } from './names.js';
import { el, toast } from './view.js';
import { t } from './i18n.js';

const COMMON = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏'];
let picker = null; // { node, opener }

async function toggle(msg, emoji, mine) {
  try {
    const data = await api.post('/message/react', { id: msg.Id, emoji, remove: mine ? 'true' : 'false' });
    applyChange(data.Data);
  } catch (err) {
    toast(t('Reaction not saved: {error}', { error: err.message }));
  }
}

function names(ids) {
  return ids.map((id) => (id === me.ID ? t('You') : nameOf(id))).join(t(', '));
}

function chipLabel(emoji, count, who, mine) {
  return `${emoji} ${count}: ${who}${mine ? t(' (click to take yours back)') : ''}`;
}

// The chips naming user `userId` under `root`, with the name known now (namepaint.js).
export function renameChips(root, userId) {
  for (const chip of root.querySelectorAll('.reactions .chip[data-user-ids]')) {
    const ids = chip.dataset.userIds.split(',').map(Number);
    if (!ids.includes(Number(userId))) continue;
    const who = names(ids);
    chip.title = who;
    chip.setAttribute('aria-label', chipLabel(chip.dataset.emoji, chip.dataset.count, who, ids.includes(me.ID)));
  }
}

function chips(msg) {
  const list = msg.Reactions || [];
  if (!list.length || msg.Recalled) return null;
  const row = el('div', { className: 'reactions', role: 'group', 'aria-label': t('Reactions') });
  for (const r of list) {
    const mine = r.UserIds.includes(me.ID);
    const who = names(r.UserIds);
    row.append(el('button', {
      type: 'button', className: `chip${mine ? ' mine' : ''}`, title: who, 'aria-pressed': String(mine),
      'aria-label': chipLabel(r.Emoji, r.Count, who, mine),
      dataset: { emoji: r.Emoji, count: r.Count, userIds: r.UserIds.join(',') }, onclick: () => toggle(msg, r.Emoji, mine),
    }, el('span', { className: 'chip-emoji', text: r.Emoji }), el('span', { className: 'chip-count', text: String(r.Count) })));
  }
  return row;
}

function closePicker(refocus) {
  if (!picker) return;
  const { node, opener } = picker;
  picker = null;
  node.remove();
  if (refocus && opener && opener.isConnected) opener.focus();
}

function choice(msg, emoji, label) {
  return el('button', {
    type: 'button', className: 'emoji-choice', text: emoji, title: label || emoji, 'aria-label': label || emoji,
    onclick: () => {
      closePicker(true);
      const mine = (msg.Reactions || []).some((r) => r.Emoji === emoji && r.UserIds.includes(me.ID));
      toggle(msg, emoji, mine);
    },
  });
}

function openPicker(msg, conv) {
  closePicker(false);
  // In the conversation, or in a thread's panel (a thread's view of it keeps its own nodes).
  const drawn = conv && conv.nodes && conv.nodes.get(msg.Id);
  const row = drawn && drawn.isConnected ? drawn : messagesEl.querySelector(`.msg[data-id="${Number(msg.Id)}"]`);
  if (!row) return;
  const opener = row.querySelector('.msg-menu-btn');
  const node = el('div', { className: 'reaction-picker', role: 'group', 'aria-label': t('Choose a reaction') });
  for (const emoji of COMMON) node.append(choice(msg, emoji));
  const more = el('button', {
    type: 'button', className: 'link more-emoji', text: t('More'), 'aria-expanded': 'false',
    onclick: () => {
      more.hidden = true; // still inside the picker: the click that bubbles on does not close it
      const all = el('div', { className: 'reaction-all' });
      for (const [emoji, name] of EMOJI) if (!COMMON.includes(emoji)) all.append(choice(msg, emoji, name));
      node.append(all);
      all.querySelector('button').focus();
    },
  });
  node.append(more);
  node.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      closePicker(true);
    }
    const moves = { ArrowRight: 1, ArrowLeft: -1 };
    if (event.key in moves) {
      const all = [...node.querySelectorAll('button')];
      const at = all.indexOf(document.activeElement);
      const next = all[Math.max(0, Math.min(all.length - 1, at + moves[event.key]))];
      if (next) next.focus();
      event.preventDefault();
    }
  });
  row.querySelector('.bubble').append(node);
  picker = { node, opener };
  node.querySelector('button').focus();
}

export function initReactions() {
  registerMessageAction({ id: 'react', label: t('React'), when: (msg) => !msg.Recalled, run: (msg, conv) => { setTimeout(() => openPicker(msg, conv), 0); } });
  registerBubblePart(chips, { where: 'bottom' });
  document.addEventListener('click', (event) => {
    if (picker && !picker.node.contains(event.target)) closePicker(false);
  });
}
