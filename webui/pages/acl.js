// Access control: the firewall's allow and deny lists (CIDRs), and the addresses the SIP layer
// banned (scanners, authentication failures, floods) with a button to lift a ban.

import { api } from '../api.js';
import { subscribe } from '../live.js';
import { drawBans } from '../bans.js';
import { h, replace, field, pageHeader, toast, banner, clearFieldErrors, showFieldError, lines } from '../ui.js';

export async function render(main) {
  const allow = h('textarea', { rows: 8, spellcheck: 'false' });
  const deny = h('textarea', { rows: 8, spellcheck: 'false' });
  const messages = h('div', { class: 'form-messages' });
  const fwState = h('p', { class: 'muted' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save policy');
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'policy-h' },
    h('h2', { id: 'policy-h' }, 'Policy'),
    fwState,
    messages,
    h(
      'div',
      { class: 'grid-2' },
      field('Allowed networks', allow, { key: 'firewall.allow', hint: 'One CIDR per line (e.g. 198.51.100.0/24). Trunk peers are always allowed.' }),
      field('Denied networks', deny, { key: 'firewall.deny', hint: 'One CIDR per line. Deny wins over allow.' }),
    ),
    h('div', { class: 'actions' }, save),
  );
  const bans = h('section', { class: 'card', 'aria-labelledby': 'bans-h' });
  main.append(pageHeader('Access control', 'Who may send traffic to the SBC, and who is banned right now.'), form, bans);

  async function load() {
    const acl = await api('GET', '/api/acl');
    allow.value = (acl.allow || []).join('\n');
    deny.value = (acl.deny || []).join('\n');
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    messages.replaceChildren();
    save.disabled = true;
    try {
      await api('PUT', '/api/acl', { body: { allow: lines(allow.value), deny: lines(deny.value) } });
      toast('Policy saved and applied');
      await load();
    } catch (err) {
      if (err.status === 409) {
        messages.append(
          banner('warning', 'Someone else changed the configuration since you loaded this page.', h('button', { type: 'button', onclick: () => load().then(() => messages.replaceChildren()) }, 'Reload')),
        );
      } else if (!(err.status === 422 && showFieldError(form, err.field && err.field.replace(/^acl\./, 'firewall.'), err.message))) {
        messages.append(banner('error', err.message + (err.field ? ` (${err.field})` : '')));
      }
    } finally {
      save.disabled = false;
    }
  });

  const title = 'Banned addresses';
  const empty = 'Nobody is banned.';
  const showBans = (list) =>
    drawBans(bans, list, { title, empty, after: async () => showBans(await api('GET', '/api/bans')) });

  const off = subscribe('status', (s) => {
    showBans(s.bans || []);
    fwState.textContent = s.firewall?.enabled
      ? 'The nftables firewall is enforcing this policy.'
      : 'The firewall is disabled in [firewall]: this policy is stored but not enforced.';
  });
  await load();
  showBans(await api('GET', '/api/bans').catch(() => []));
  return off;
}
