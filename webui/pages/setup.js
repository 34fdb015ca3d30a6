// First start: there is no default password. The operator proves access to the appliance with
// the one-time setup token (printed in the daemon log and written to state_dir/setup-token),
// and chooses the admin password (at least 12 characters). Works once; then login.

import { api } from '../api.js';
import { h, field, banner, clearFieldErrors, showFieldError } from '../ui.js';

const MIN_PASSWORD = 12;

export function render(card, { done }) {
  const token = h('input', { type: 'text', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD });
  const confirm = h('input', { type: 'password', name: 'confirm', autocomplete: 'new-password', required: true });
  const messages = h('div', { class: 'form-messages' });
  const submit = h('button', { type: 'submit', class: 'primary block' }, 'Set admin password');
  const form = h(
    'form',
    { novalidate: true },
    h('h1', {}, 'Welcome — first-time setup'),
    h(
      'p',
      { class: 'muted' },
      'This SBC has no password yet. Enter the one-time setup token — the daemon prints it in its log at start and writes it to ',
      h('code', {}, 'state_dir/setup-token'),
      ' — and choose the password of the ',
      h('strong', {}, 'admin'),
      ' account.',
    ),
    messages,
    field('Setup token', token, { key: 'token' }),
    field('New admin password', password, { key: 'password', hint: `At least ${MIN_PASSWORD} characters.` }),
    field('Repeat the password', confirm, { key: 'confirm' }),
    submit,
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    messages.replaceChildren();
    if (!token.value.trim()) return void showFieldError(form, 'token', 'Enter the setup token.');
    if (password.value.length < MIN_PASSWORD) {
      return void showFieldError(form, 'password', `The password needs at least ${MIN_PASSWORD} characters.`);
    }
    if (password.value !== confirm.value) {
      return void showFieldError(form, 'confirm', 'The two passwords differ.');
    }
    submit.disabled = true;
    try {
      await api('POST', '/api/setup', { body: { token: token.value.trim(), password: password.value } });
      done('The admin password is set. Log in with it.');
    } catch (err) {
      if (err.status === 403) {
        showFieldError(form, 'token', 'This setup token is not valid. Copy it again from the log or the setup-token file.');
      } else if (err.status === 422 && showFieldError(form, err.field || 'password', err.message)) {
        // Shown next to the field.
      } else if (err.status === 409 || err.status === 410) {
        done('Setup was already completed. Log in.');
      } else {
        messages.append(banner('error', err.message));
      }
    } finally {
      submit.disabled = false;
    }
  });
  card.replaceChildren(form);
  token.focus();
}
