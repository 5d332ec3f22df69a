// HTTPS on the LAN (issue 25). A browser treats a plain-http page on a network
// address (not localhost, 127.x or [::1], which it exempts) as insecure: no
// microphone, notifications "denied". Such a page shows a quiet banner that
// points to the same host's https address, and the voice and notification
// controls say that they need it, with the link (secureNote), instead of
// "blocked for this site". The server names its https port in a <meta> only
// when TLS is on (templates/base.html).

import { t } from './i18n.js';
import { el } from './view.js';

const DISMISSED_KEY = 'ginchat:secure-banner-dismissed';

export function insecurePage() {
  return window.isSecureContext === false;
}

// https://<this page's host>:<HTTPS_PORT>/, or null when the server has no https.
export function secureUrl() {
  const meta = document.querySelector('meta[name="ginchat-https-port"]');
  const port = meta ? Number(meta.content) : 0;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return null;
  return `https://${location.hostname}:${port}/`;
}

function secureLink(className) {
  const url = secureUrl();
  return el('a', { href: url, className, text: url });
}

// "<what> need the secure address: <link>." — or, without https on the server,
// who can fix it. ``what`` is 'voice' or 'notifications'.
export function secureNote(what) {
  const voice = what === 'voice';
  if (!secureUrl()) {
    return el('span', { className: 'secure-note' }, voice
      ? t('Voice clips need a secure (https) address, and this server has HTTPS turned off: ask its administrator.')
      : t('Desktop notifications need a secure (https) address, and this server has HTTPS turned off: ask its administrator.'));
  }
  const need = voice ? t('Voice clips need the secure address:') : t('Desktop notifications need the secure address:');
  return el('span', { className: 'secure-note' }, `${need} `, secureLink('secure-link'), t('.'));
}

function showBanner() {
  if (!insecurePage() || !secureUrl() || document.getElementById('secure-banner')) return;
  try {
    if (sessionStorage.getItem(DISMISSED_KEY)) return;
  } catch (err) {
    // no storage: the banner stays
  }
  const banner = el('div', { id: 'secure-banner', className: 'secure-banner', role: 'note', 'aria-label': t('Connection') },
    el('span', {}, `${t('Not a secure connection: voice clips and notifications are off. Open')} `, secureLink('secure-link'),
      ...(location.pathname === '/trust' ? [] : [' · ', el('a', { href: '/trust', text: t('trust this server first') })])));
  banner.append(el('button', {
    type: 'button',
    className: 'link dismiss',
    'aria-label': t('Hide this notice'),
    text: '×',
    onclick: () => {
      banner.remove();
      try {
        sessionStorage.setItem(DISMISSED_KEY, '1');
      } catch (err) {
        // hidden for this page only
      }
    },
  }));
  // In the flow of the page, never over it: below the app's top bar, at the
  // top of a card (login, register, trust), or at the top of the page.
  const topbar = document.querySelector('.shell > .topbar');
  const card = document.querySelector('main.card');
  if (topbar) topbar.after(banner);
  else if (card) card.prepend(banner);
  else document.body.prepend(banner);
}

showBanner();
