// The Edge SBC web UI: boot, session, navigation.
//
// Boot asks GET /api/setup: while no admin password exists the setup page is shown (it needs
// the one-time setup token from the daemon log or state_dir/setup-token). Otherwise
// GET /api/session decides between the login page and the app. The app is a sidebar of pages
// (hash routes, #/trunks ...) around a main area; each page module exports
// `render(main, ctx)` and may return a cleanup function called when the operator leaves it.
// A 401 from any call (session expired, logged out elsewhere) returns to the login page.
// Saved settings that take effect only at the next restart show as a "Restart pending" pill in
// the top bar (from GET /api/system, then from every config write's answer) and, at the write,
// as a toast "Saved; takes effect at restart: <keys>".

import { api, setCsrf, forgetEtags } from './api.js';
import { h, replace, toast } from './ui.js';
import { themeToggle } from './theme.js';
import { startLive, stopLive, onConnection } from './live.js';
import * as setupPage from './pages/setup.js';
import * as loginPage from './pages/login.js';
import * as dashboard from './pages/dashboard.js';
import * as trunks from './pages/trunks.js';
import * as routes from './pages/routes.js';
import * as acl from './pages/acl.js';
import * as realms from './pages/realms.js';
import * as certificates from './pages/certificates.js';
import * as network from './pages/network.js';
import * as system from './pages/system.js';
import * as cdrs from './pages/cdrs.js';
import * as ladder from './pages/ladder.js';

const PAGES = [
  { path: 'dashboard', label: 'Dashboard', icon: '◉', page: dashboard },
  { path: 'trunks', label: 'Trunks', icon: '⇄', page: trunks },
  { path: 'routes', label: 'Routes', icon: '↦', page: routes },
  { path: 'acl', label: 'Access control', icon: '⊘', page: acl },
  { path: 'realms', label: 'Realms & media', icon: '▤', page: realms },
  { path: 'certificates', label: 'Certificates', icon: '◈', page: certificates },
  { path: 'network', label: 'Network', icon: '⌘', page: network },
  { path: 'system', label: 'System', icon: '⚙', page: system },
  { path: 'cdrs', label: 'Call history', icon: '☰', page: cdrs },
  // Reached from a call (#/ladder/<call>), not from the menu.
  { path: 'ladder', label: 'SIP ladder', icon: '⇅', page: ladder, hidden: true },
];

const root = document.getElementById('app');
let session = null; // {user, csrf}
let cleanup = null;
let shell = null; // {main, nav}

function leavePage() {
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
}

/** Full-screen layout for setup and login. */
function authLayout() {
  leavePage();
  shell = null;
  stopLive();
  const card = h('main', { class: 'auth-card' });
  replace(
    root,
    h(
      'div',
      { class: 'auth' },
      h('div', { class: 'auth-top' }, themeToggle()),
      h('div', { class: 'brand big' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '⇄'), 'Edge SBC'),
      card,
    ),
  );
  return card;
}

async function showSetup() {
  setupPage.render(authLayout(), { done: showLogin });
}

function showLogin(message) {
  session = null;
  setCsrf(null);
  forgetEtags();
  loginPage.render(authLayout(), { message, done: loggedIn });
}

function loggedIn(info) {
  session = info;
  setCsrf(info.csrf);
  buildShell();
  route();
}

async function logout() {
  try {
    await api('POST', '/api/logout');
  } catch {
    // Already logged out or unreachable: the login page is right either way.
  }
  showLogin('You are logged out.');
}

function buildShell() {
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Main' },
    h(
      'ul',
      {},
      PAGES.filter((p) => !p.hidden).map((p) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: `#/${p.path}`, 'data-path': p.path },
            h('span', { class: 'nav-icon', 'aria-hidden': 'true' }, p.icon),
            p.label,
          ),
        ),
      ),
    ),
  );
  const liveDot = h('span', { class: 'live-dot', role: 'status' });
  onConnection((up) => {
    liveDot.classList.toggle('up', up);
    if (up) liveDot.dataset.seen = '1';
    liveDot.textContent = up ? 'Live' : liveDot.dataset.seen ? 'Reconnecting…' : 'Connecting…';
    liveDot.title = up ? 'Receiving live updates' : 'Live updates interrupted; retrying';
  });
  const systemName = h('span', { class: 'system-name' });
  restartPill = h('a', { class: 'pill warn restart-pending', href: '#/system', hidden: '' }, 'Restart pending');
  const main = h('main', { class: 'main', id: 'main', tabindex: '-1' });
  replace(
    root,
    h(
      'div',
      { class: 'shell' },
      h(
        'aside',
        { class: 'sidebar' },
        h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '⇄'), 'Edge SBC'),
        systemName,
        nav,
      ),
      h(
        'div',
        { class: 'content' },
        h(
          'div',
          { class: 'topbar' },
          liveDot,
          restartPill,
          h('span', { class: 'spacer' }),
          themeToggle(),
          h('span', { class: 'user' }, session.user || 'admin'),
          h('button', { type: 'button', class: 'ghost', onclick: logout }, 'Log out'),
        ),
        main,
      ),
    ),
  );
  shell = { main, nav, systemName };
  startLive();
  api('GET', '/api/status')
    .then((s) => {
      systemName.textContent = s.name || '';
    })
    .catch(() => {});
  api('GET', '/api/system')
    .then((s) => showRestartPending(s.restart_required || []))
    .catch(() => {});
}

let restartPill = null;

/** Shows (or hides) the top bar's "Restart pending" pill for `keys`. */
function showRestartPending(keys) {
  if (!restartPill) return;
  restartPill.hidden = keys.length === 0;
  restartPill.title = keys.length ? `Saved; takes effect at restart: ${keys.join(', ')}` : '';
}

function route() {
  if (!shell) return;
  const path = (location.hash.replace(/^#\/?/, '') || 'dashboard').split('/')[0];
  const entry = PAGES.find((p) => p.path === path) || PAGES[0];
  for (const a of shell.nav.querySelectorAll('a')) {
    if (a.dataset.path === entry.path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  leavePage();
  shell.main.replaceChildren();
  document.title = `${entry.label} · Edge SBC`;
  const ctx = { session, navigate: (p) => (location.hash = `#/${p}`) };
  Promise.resolve(entry.page.render(shell.main, ctx))
    .then((fn) => {
      cleanup = fn;
    })
    .catch((err) => {
      if (err && err.status === 401) return;
      toast(`Could not load ${entry.label}: ${err.message}`, 'error');
    });
}

window.addEventListener('hashchange', route);
window.addEventListener('sbc:restart-required', (ev) => {
  const keys = (ev.detail && ev.detail.keys) || [];
  if (keys.length) toast(`Saved; takes effect at restart: ${keys.join(', ')}`, 'warn');
  showRestartPending(keys);
});
window.addEventListener('sbc:unauthorized', () => {
  if (session) showLogin('Your session has ended. Please log in again.');
});

async function boot() {
  try {
    const setup = await api('GET', '/api/setup');
    if (setup && setup.needed) {
      await showSetup();
      return;
    }
  } catch (err) {
    replace(root, h('p', { class: 'banner error', role: 'alert' }, `Cannot reach the SBC: ${err.message}`));
    return;
  }
  try {
    const info = await api('GET', '/api/session');
    loggedIn(info);
  } catch {
    showLogin();
  }
}

boot();
