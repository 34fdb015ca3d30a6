// Network: host name, time zone, DNS and NTP servers, and per interface DHCP or static
// addresses (VLANs are interfaces named <parent>.<id>, e.g. eth0.100). Applying has a
// safety net: the appliance reverts to the previous settings unless the change is
// confirmed within 60 s, so a wrong address cannot lock the box away.

import { api } from '../api.js';
import { h, replace, pageHeader, toast, banner, field, clearFieldErrors, showFieldError } from '../ui.js';

const list = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

export async function render(main) {
  const state = h('div', { class: 'form-messages', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: '' });
  main.append(pageHeader('Network', 'Addresses, DNS, NTP, host name and time zone of this appliance.'), state, form);

  let poll = null;
  const stop = () => {
    if (poll) clearInterval(poll);
    poll = null;
  };

  async function showStatus() {
    let s;
    try {
      s = (await api('GET', '/api/system/network')).status;
    } catch {
      state.replaceChildren(banner('warning', 'The SBC does not answer at this address. If you changed it, open the new address and confirm there within 60 s.'));
      return;
    }
    const confirm = h('button', { type: 'button', onclick: doConfirm }, 'Confirm');
    const kinds = {
      requested: ['info', 'Applying…'],
      pending: ['warning', `${s.message || ''}`, confirm],
      confirmed: ['info', 'Saved.'],
      reverted: ['error', 'Not confirmed in time: the previous settings are back.'],
      failed: ['error', `Not applied: ${s.message || ''}`],
    };
    const k = kinds[s.state];
    state.replaceChildren(...(k ? [banner(k[0], k[1], ...k.slice(2))] : []));
    if (s.state === 'requested' || s.state === 'pending') {
      if (!poll) poll = setInterval(showStatus, 2000);
    } else {
      stop();
    }
  }

  async function doConfirm() {
    try {
      await api('POST', '/api/system/network/confirm');
      toast('Confirmed');
      setTimeout(showStatus, 1500);
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  const data = await api('GET', '/api/system/network');
  const s = data.settings || {};
  const hostname = h('input', { type: 'text', value: s.hostname || '', placeholder: 'edge-sbc' });
  const timezone = h('input', { type: 'text', value: s.timezone || '', placeholder: 'UTC' });
  const dns = h('input', { type: 'text', value: (s.dns || []).join(', '), placeholder: '192.0.2.53' });
  const ntp = h('input', { type: 'text', value: (s.ntp || []).join(', '), placeholder: 'pool.ntp.org' });
  const rows = h('div', { class: 'interfaces' });

  function row(i = {}) {
    const name = h('input', { type: 'text', value: i.name || '', placeholder: 'eth0 or eth0.100', 'aria-label': 'Interface' });
    const mode = h('select', { 'aria-label': 'Mode' }, h('option', { value: 'dhcp' }, 'DHCP'), h('option', { value: 'static' }, 'Static'));
    mode.value = i.mode || 'dhcp';
    const addresses = h('input', { type: 'text', value: (i.addresses || []).join(', '), placeholder: '192.0.2.10/24', 'aria-label': 'Addresses' });
    const gateway = h('input', { type: 'text', value: i.gateway || '', placeholder: '192.0.2.1', 'aria-label': 'Gateway' });
    const el = h(
      'fieldset',
      { class: 'interface' },
      h('legend', {}, i.name || 'Interface'),
      field('Name', name, { key: 'name' }),
      field('Mode', mode, { key: 'mode' }),
      field('Addresses (static)', addresses, { key: 'addresses', hint: 'address/prefix, comma-separated' }),
      field('Gateway (static)', gateway, { key: 'gateway' }),
      h('button', { type: 'button', class: 'small', onclick: () => el.remove() }, 'Remove'),
    );
    el.read = () => {
      const out = { name: name.value.trim(), mode: mode.value };
      if (mode.value === 'static') {
        out.addresses = list(addresses.value);
        if (gateway.value.trim()) out.gateway = gateway.value.trim();
      }
      return out;
    };
    return el;
  }
  for (const i of s.interfaces || []) rows.append(row(i));
  if (!(s.interfaces || []).length) for (const n of data.interfaces || []) rows.append(row({ name: n, mode: 'dhcp' }));

  replace(
    form,
    h('h2', {}, 'Settings'),
    h('p', { class: 'muted' }, `Interfaces of this appliance: ${(data.interfaces || []).join(', ') || 'none found'}. Realms can listen on an interface by name (udp:eth0:5060) or on a static address set here.`),
    field('Host name', hostname, { key: 'hostname' }),
    field('Time zone', timezone, { key: 'timezone', hint: 'e.g. Europe/Berlin' }),
    field('DNS servers', dns, { key: 'dns', hint: 'comma-separated' }),
    field('NTP servers', ntp, { key: 'ntp', hint: 'comma-separated' }),
    rows,
    h(
      'div',
      { class: 'actions left' },
      h('button', { type: 'button', onclick: () => rows.append(row()) }, 'Add interface'),
      h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    ),
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const body = {
      dns: list(dns.value),
      ntp: list(ntp.value),
      interfaces: [...rows.children].map((el) => el.read()),
    };
    if (hostname.value.trim()) body.hostname = hostname.value.trim();
    if (timezone.value.trim()) body.timezone = timezone.value.trim();
    try {
      await api('PUT', '/api/system/network', { body });
      toast('Applying; confirm within 60 s');
      await showStatus();
    } catch (err) {
      // The field is a key path: hostname, dns[0], interfaces[1].addresses[0].
      const m = /^interfaces\[(\d+)\]\.?(.*)$/.exec(err.field || '');
      if (m && rows.children[Number(m[1])]) showFieldError(rows.children[Number(m[1])], `x[0].${m[2]}`, err.message);
      else if (err.field) showFieldError(form, `x[0].${err.field}`, err.message);
      state.replaceChildren(banner('error', `Not applied. ${err.field ? `${err.field}: ` : ''}${err.message}`));
    }
  });

  await showStatus();
  return stop;
}
