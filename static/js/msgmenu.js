// The per-message menu: a "⋯" button on a bubble opening the actions that
// hooks.js registered (and that can succeed right now). Keyboard: Enter/Space
// open it, arrow keys move, Esc closes and returns to the button.

import { actionsFor } from './hooks.js';
import { el } from './view.js';
import { t } from './i18n.js';

let open = null; // { menu, button }

export function menuOpen() {
  return !!open;
}

export function closeMenu(refocus) {
  if (!open) return;
  const { menu, button } = open;
  open = null;
  menu.remove();
  button.setAttribute('aria-expanded', 'false');
  if (refocus) button.focus();
}

function openMenu(button, msg, conv) {
  closeMenu(false);
  const actions = actionsFor(msg, conv);
  if (!actions.length) { // e.g. the Recall window closed since the bubble was drawn
    button.remove();
    return;
  }
  const menu = el('div', { className: 'msg-menu', role: 'menu', 'aria-label': t('Message actions') });
  for (const action of actions) {
    menu.append(el('button', {
      type: 'button', role: 'menuitem', tabindex: '-1', className: action.danger ? 'danger' : null,
      text: action.label, dataset: { action: action.id },
      onclick: () => {
        closeMenu(true);
        action.run(msg, conv);
      },
    }));
  }
  menu.addEventListener('keydown', (event) => {
    const items = [...menu.querySelectorAll('[role="menuitem"]')];
    const at = items.indexOf(document.activeElement);
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      items[(moves[event.key] + items.length) % items.length].focus();
    } else if (event.key === 'Escape' || event.key === 'Tab') {
      event.preventDefault();
      closeMenu(true);
    }
  });
  // Opens upwards in the lower half of the screen, so that it stays in view.
  menu.classList.toggle('up', button.getBoundingClientRect().top > window.innerHeight / 2);
  button.closest('.bubble').append(menu);
  button.setAttribute('aria-expanded', 'true');
  open = { menu, button };
  menu.querySelector('[role="menuitem"]').focus();
}

export function menuButton(msg, conv) {
  const button = el('button', {
    type: 'button', className: 'link msg-menu-btn', text: '⋯', 'aria-label': t('Message actions'),
    'aria-haspopup': 'menu', 'aria-expanded': 'false',
  });
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    if (open && open.button === button) closeMenu(true);
    else openMenu(button, msg, conv);
  });
  return button;
}

export function initMessageMenu() {
  document.addEventListener('click', (event) => {
    if (open && !open.menu.contains(event.target)) closeMenu(false);
  });
}
