// Login of the admin account. Wrong passwords count against the address and user; after the
// limit the server answers 429 with Retry-After and refuses even the right password until it
// expires: the page says so plainly and counts down.

import { api } from '../api.js';
import { h, field, banner, duration } from '../ui.js';

let lockTimer = null;

export function render(card, { message, done }) {
  clearInterval(lockTimer);
  const user = h('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'admin', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const messages = h('div', { class: 'form-messages' });
  const submit = h('button', { type: 'submit', class: 'primary block' }, 'Log in');
  const form = h(
    'form',
    { novalidate: true },
    h('h1', {}, 'Log in'),
    messages,
    field('User name', user, { key: 'username' }),
    field('Password', password, { key: 'password' }),
    submit,
  );
  if (message) messages.append(banner('info', message));

  function lockedOut(seconds) {
    const until = Date.now() + seconds * 1000;
    const text = h('span');
    const box = banner(
      'error locked',
      'Too many failed logins: login is locked. ',
    );
    box.firstChild.append(text);
    messages.replaceChildren(box);
    submit.disabled = true;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(lockTimer);
        submit.disabled = false;
        messages.replaceChildren(banner('info', 'The lock has expired. You can try again.'));
        return;
      }
      text.textContent = `Try again in ${duration(left)}.`;
    };
    tick();
    lockTimer = setInterval(tick, 1000);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    messages.replaceChildren();
    if (!password.value) {
      messages.append(banner('error', 'Enter the password.'));
      password.focus();
      return;
    }
    submit.disabled = true;
    try {
      const info = await api('POST', '/api/login', { body: { username: user.value.trim(), password: password.value } });
      clearInterval(lockTimer);
      done(info);
      return;
    } catch (err) {
      password.value = '';
      password.focus();
      if (err.status === 429) {
        lockedOut(err.retryAfter || 900);
        return;
      }
      const text = err.status === 401 ? 'Wrong user name or password.' : err.message;
      messages.append(banner('error', text));
    }
    submit.disabled = false;
  });
  card.replaceChildren(form);
  password.focus();
}
