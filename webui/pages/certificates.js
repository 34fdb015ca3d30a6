// Certificates: the TLS certificates the realms present, with their expiry, and upload of a new
// certificate chain and key (PEM). Malformed uploads come back as 422 with the reason.

import { api } from '../api.js';
import { h, replace, field, table, pageHeader, toast, pill } from '../ui.js';
import { openEditor, valueOf } from '../editor.js';

export async function render(main) {
  const body = h('div');
  main.append(
    pageHeader('Certificates', 'TLS certificates of the SIP-over-TLS listeners.', h('button', { type: 'button', class: 'primary', onclick: upload }, 'Upload certificate')),
    body,
  );

  async function load() {
    const list = await api('GET', '/api/certificates');
    const rows = list.map((c) => [
      h('strong', {}, c.name),
      h('span', { class: 'mono small' }, c.subject || ''),
      c.not_after ? new Date(c.not_after).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' }) : '—',
      expiry(c.days_left),
      (c.used_by || []).length ? c.used_by.join(', ') : h('span', { class: 'muted' }, 'unused'),
    ]);
    replace(body, h('section', { class: 'card' }, table(['Name', 'Subject', 'Expires', 'Days left', 'Used by realms'], rows, 'No certificates uploaded.', 'Certificates')));
  }

  async function upload() {
    const name = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off' });
    const cert = h('textarea', { rows: 6, spellcheck: 'false', placeholder: '-----BEGIN CERTIFICATE-----' });
    const key = h('textarea', { rows: 6, spellcheck: 'false', placeholder: '-----BEGIN PRIVATE KEY-----' });
    const fromFile = (target, label) =>
      h('input', {
        type: 'file',
        accept: '.pem,.crt,.key,.cer',
        'aria-label': label,
        onchange: async (e) => {
          const file = e.target.files[0];
          if (file) target.value = await file.text();
        },
      });
    const saved = await openEditor({
      title: 'Upload certificate',
      submitLabel: 'Upload',
      fields: [
        h('div', { class: 'span-2' }, field('Name', name, { key: 'name', hint: 'Realms refer to the certificate by this name.' })),
        h('div', { class: 'span-2' }, field('Certificate chain (PEM)', cert, { key: 'cert_pem' }), fromFile(cert, 'Certificate file')),
        h('div', { class: 'span-2' }, field('Private key (PEM)', key, { key: 'key_pem', hint: 'Stored on the appliance only; never shown again.' }), fromFile(key, 'Key file')),
      ],
      onConflict: load,
      save: async (form) => {
        await api('POST', '/api/certificates', { body: { name: valueOf(form, 'name'), cert_pem: cert.value, key_pem: key.value } });
      },
    });
    if (saved) {
      toast('Certificate uploaded');
      await load();
    }
  }

  await load();
}

function expiry(days) {
  if (days === undefined || days === null) return '—';
  const d = Number(days);
  if (d < 0) return pill('down', 'expired');
  if (d < 14) return pill('down', `${d} days`);
  if (d < 45) return pill('warn', `${d} days`);
  return pill('up', `${d} days`);
}
