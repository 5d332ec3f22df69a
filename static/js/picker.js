// Choosing people (issue 27) from the directory (directory.js), not only
// from one's friends: the create-group form's members (sent as `members`,
// the new group opens at once), and a group's "Add people" (any account the
// adder may message: MayMessage, the server's rule, within whoMayAdd).

import * as api from './api.js';
import { hasMore, loadPage, peopleSource, personFace } from './directory.js';
import { $ } from './dom.js';
import { handleOf, shownName } from './names.js';
import { el, miniButton } from './view.js';
import { t } from './i18n.js';

const DEBOUNCE_MS = 250;

// me.js's act(call, done): a call whose outcome is a toast, then fresh lists.
// Handed in at start (chat.js): me.js uses this module (the create-group form).
let act = null;

// A search box over the directory; draw(rows) paints what it found.
function searchBox(input, source, draw) {
  let timer = null;
  const run = async (reset) => {
    try {
      await loadPage(source, reset);
    } catch (err) {
      draw(err.message);
      return;
    }
    draw();
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      source.q = input.value.trim();
      run(true);
    }, DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault(); // not the form's submit
      clearTimeout(timer);
      source.q = input.value.trim();
      run(true);
    }
  });
  return run;
}

// --- the create-group form's members ----------------------------------------------------
const chosen = new Map(); // user id -> user
const pick = peopleSource();
let pickRun = null;

export function chosenMembers() {
  return [...chosen.keys()];
}

function drawChosen() {
  const names = [...chosen.values()].map(shownName);
  $('group-members-chosen').textContent = names.length
    ? t('Members to add ({n}): {names}', { n: names.length, names: names.join(t(', ')) })
    : t('Nobody chosen yet: you can also add people later.');
}

function drawOptions(problem) {
  const list = $('group-members-options');
  const rows = pick.rows.filter((user) => user.MayMessage || chosen.has(user.ID));
  list.replaceChildren(...rows.map((user) => {
    const id = `group-member-${user.ID}`;
    const box = el('input', { type: 'checkbox', id, checked: chosen.has(user.ID) });
    box.addEventListener('change', () => {
      if (box.checked) chosen.set(user.ID, user);
      else chosen.delete(user.ID);
      drawChosen();
    });
    return el('li', { className: 'item picker-item', dataset: { userId: user.ID } }, box,
      el('label', { for: id }, personFace(user),
        el('span', { className: 'body' }, el('span', { className: 'name', text: shownName(user) }),
          el('span', { className: 'meta', text: handleOf(user) }))));
  }));
  if (pick.page && !rows.length) list.append(el('li', { className: 'empty', text: problem || t('Nobody found.') }));
  else if (problem) list.append(el('li', { className: 'empty', text: problem }));
  $('group-members-more').hidden = !hasMore(pick) || !pick.page;
}

export function resetPicker() {
  chosen.clear();
  drawChosen();
  drawOptions();
}

function pickerBox() {
  return el('fieldset', { className: 'member-picker js-only', id: 'group-members-picker' },
    el('legend', { text: t('Members') }),
    el('label', { for: 'group-members-q', className: 'visually-hidden', text: t('Find people to add') }),
    el('input', {
      type: 'search', id: 'group-members-q', placeholder: t('Find people to add'), maxlength: '64',
      autocomplete: 'off', 'aria-controls': 'group-members-options', 'aria-describedby': 'group-members-chosen',
    }),
    el('p', { id: 'group-members-chosen', className: 'picker-chosen', 'aria-live': 'polite' }),
    el('ul', { id: 'group-members-options', className: 'list picker-options', 'aria-label': t('People to choose from') }),
    el('button', { type: 'button', className: 'link', id: 'group-members-more', text: t('More people'), hidden: true }));
}

export function initGroupPicker({ act: withOutcome }) {
  act = withOutcome;
  const form = $('create-group-form');
  form.querySelector('button[type="submit"]').before(pickerBox());
  pickRun = searchBox($('group-members-q'), pick, drawOptions);
  $('group-members-more').addEventListener('click', () => pickRun(false));
  // The first page arrives when the form is first used.
  form.addEventListener('focusin', () => {
    if (!pick.page && !pick.loading) pickRun(true);
  });
  form.addEventListener('reset', () => setTimeout(resetPicker, 0));
  drawChosen();
}

// --- a group's "Add people" -------------------------------------------------------------
const adding = peopleSource();
let addRun = null;
let addConv = null;
let addMembers = new Set();
let onAdded = null;

function drawAddable(problem) {
  const conv = addConv;
  const list = $('add-people-list');
  if (!conv) return;
  const rows = adding.rows.filter((user) => user.MayMessage && !addMembers.has(user.ID));
  list.replaceChildren(...rows.map((user) => el('li', { dataset: { userId: user.ID } },
    personFace(user),
    el('span', { className: 'name', text: shownName(user) }),
    miniButton(t('Add'), () => {
      act(() => api.post('/contact/addMember', { comId: conv.id, userId: user.ID }),
        t('{name} added to {group}.', { name: shownName(user), group: conv.name })).then(() => {
        addMembers.add(user.ID);
        drawAddable();
        if (onAdded) onAdded(conv);
      });
    }, { 'aria-label': t('Add {name}', { name: shownName(user) }) }))));
  if (adding.page && !rows.length) {
    list.append(el('li', {
      className: 'empty',
      text: problem || (adding.q ? t('Nobody found for “{q}”.', { q: adding.q }) : t('Everyone you may add is a member.')),
    }));
  } else if (problem) list.append(el('li', { className: 'empty', text: problem }));
  $('add-people-more').hidden = list.hidden || !hasMore(adding) || !adding.page;
}

// The group panel's list: called with the members each time they load.
export function showAddable(conv, memberIds, afterAdd) {
  const again = addConv && addConv.key === conv.key;
  addConv = conv;
  addMembers = new Set(memberIds);
  onAdded = afterAdd;
  if (!again) {
    adding.q = '';
    $('add-people-q').value = '';
    adding.page = 0;
  }
  if (!adding.page) addRun(true);
  else drawAddable();
}

export function initAddPeople() {
  const list = $('add-people-list');
  const box = el('div', { className: 'add-people-search' },
    el('label', { for: 'add-people-q', className: 'visually-hidden', text: t('Find people to add to this group') }),
    el('input', {
      type: 'search', id: 'add-people-q', placeholder: t('Find people to add to this group'), maxlength: '64', autocomplete: 'off',
      'aria-controls': 'add-people-list',
    }));
  list.before(box);
  list.after(el('button', { type: 'button', className: 'link', id: 'add-people-more', text: t('More people'), hidden: true }));
  box.hidden = list.hidden;
  new MutationObserver(() => {
    box.hidden = list.hidden;
    if (list.hidden) $('add-people-more').hidden = true;
    else drawAddable();
  }).observe(list, { attributes: true, attributeFilter: ['hidden'] });
  addRun = searchBox($('add-people-q'), adding, drawAddable);
  $('add-people-more').addEventListener('click', () => addRun(false));
}
