// Realms and media ports: each realm is one network side of the SBC (its SIP listeners, the
// address and port range its media is anchored on, a public address behind 1:1 NAT, and the
// TLS certificate of its tls: listeners).

import { api } from '../api.js';
import { h, replace, field, table, pageHeader, toast, confirmDialog, lines, pill } from '../ui.js';
import { openEditor, valueOf } from '../editor.js';

export async function render(main) {
  const body = h('div');
  main.append(
    pageHeader('Realms & media', 'Network sides of the SBC: SIP listeners and the media addresses and ports calls are anchored on.', h('button', { type: 'button', class: 'primary', onclick: () => edit(null) }, 'Add realm')),
    body,
  );
  let list = [];

  async function load() {
    list = await api('GET', '/api/realms');
    draw();
  }

  function draw() {
    const rows = list.map((r) => [
      h('strong', {}, r.name),
      h('div', {}, (r.listen || []).map((l) => h('div', { class: 'mono' }, l))),
      h('span', { class: 'mono' }, r.media_ip),
      h('span', { class: 'mono' }, r.media_ports),
      r.public_ip ? h('span', { class: 'mono' }, r.public_ip) : h('span', { class: 'muted' }, '—'),
      r.tls_cert ? pill('secure', 'TLS') : h('span', { class: 'muted' }, '—'),
      h(
        'div',
        { class: 'row-actions' },
        h('button', { type: 'button', class: 'small', 'aria-label': `Edit realm ${r.name}`, onclick: () => edit(r) }, 'Edit'),
        h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete realm ${r.name}`, onclick: () => remove(r) }, 'Delete'),
      ),
    ]);
    replace(body, h('section', { class: 'card' }, table(['Name', 'SIP listeners', 'Media address', 'Media ports', 'Public address', 'TLS', ''], rows, 'No realms.', 'Realms')));
  }

  async function edit(realm) {
    const isNew = !realm;
    const r = realm || { name: '', listen: [], media_ip: '', media_ports: '20000-29999' };
    const input = (key, value, extra = {}) => h('input', { type: 'text', value: value || '', spellcheck: 'false', autocomplete: 'off', ...extra });
    const listen = h('textarea', { rows: 3, spellcheck: 'false' }, (r.listen || []).join('\n'));
    const saved = await openEditor({
      title: isNew ? 'Add realm' : `Edit realm ${r.name}`,
      submitLabel: isNew ? 'Add realm' : 'Save realm',
      fields: [
        field('Name', input('name', r.name), { key: 'name' }),
        field('Public address (1:1 NAT)', input('public_ip', r.public_ip), { key: 'public_ip', hint: 'Optional: advertised in SIP and SDP instead of the local address.' }),
        h('div', { class: 'span-2' }, field('SIP listeners', listen, { key: 'listen', hint: 'One per line: udp:203.0.113.10:5060, tcp:…, tls:…:5061' })),
        field('Media address', input('media_ip', r.media_ip), { key: 'media_ip' }),
        field('Media ports', input('media_ports', r.media_ports, { placeholder: '20000-29999' }), { key: 'media_ports', hint: 'Range for RTP/RTCP; four ports per anchored stream.' }),
        field('TLS certificate file', input('tls_cert', r.tls_cert), { key: 'tls_cert', hint: 'Needed with a tls: listener; upload on the Certificates page.' }),
        field('TLS key file', input('tls_key', r.tls_key), { key: 'tls_key' }),
      ],
      onConflict: load,
      save: async (form) => {
        const out = { ...r, name: valueOf(form, 'name'), listen: lines(listen.value), media_ip: valueOf(form, 'media_ip'), media_ports: valueOf(form, 'media_ports') };
        for (const key of ['public_ip', 'tls_cert', 'tls_key']) {
          const v = valueOf(form, key);
          if (v) out[key] = v;
          else delete out[key];
        }
        if (isNew) await api('POST', '/api/realms', { body: out });
        else await api('PUT', `/api/realms/${encodeURIComponent(r.name)}`, { body: out });
      },
    });
    if (saved) {
      toast(isNew ? 'Realm added' : 'Realm saved');
      await load();
    }
  }

  async function remove(r) {
    if (!(await confirmDialog(`Delete realm ${r.name}?`, 'Its listeners close. Trunks in this realm must be moved or deleted first.'))) return;
    try {
      await api('DELETE', `/api/realms/${encodeURIComponent(r.name)}`);
      toast(`Realm ${r.name} deleted`);
    } catch (err) {
      toast(err.status === 409 ? 'The configuration changed meanwhile; reloaded. Try again.' : err.message, 'error');
    }
    await load();
  }

  await load();
}
