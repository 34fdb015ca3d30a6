// System: version, uptime, settings saved but waiting for a restart, the configuration file
// (download, upload = validate, apply, then save; earlier versions with rollback), the audit
// log of changes, and restart.

import { api } from '../api.js';
import { h, replace, table, pageHeader, toast, banner, confirmDialog, duration } from '../ui.js';

export async function render(main) {
  const info = h('section', { class: 'card', 'aria-labelledby': 'about-h' });
  const config = h('section', { class: 'card', 'aria-labelledby': 'config-h' });
  const versions = h('section', { class: 'card', 'aria-labelledby': 'versions-h' });
  const audit = h('section', { class: 'card', 'aria-labelledby': 'audit-h' });
  main.append(pageHeader('System', 'Software, configuration and change history.'), h('div', { class: 'grid-2' }, info, config), versions, audit);

  async function loadInfo() {
    const s = await api('GET', '/api/system');
    replace(
      info,
      h('h2', { id: 'about-h' }, 'This SBC'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Version'),
        h('dd', {}, s.version || '?'),
        h('dt', {}, 'Uptime'),
        h('dd', {}, duration(s.uptime_seconds)),
        h('dt', {}, 'Configuration file'),
        h('dd', { class: 'mono' }, s.config_path || '?'),
        h('dt', {}, 'Waiting for a restart'),
        h(
          'dd',
          { class: 'restart-keys' },
          (s.restart_required || []).length
            ? [h('span', { class: 'mono' }, s.restart_required.join(', ')), h('div', { class: 'muted small' }, 'Saved; takes effect at restart.')]
            : h('span', { class: 'muted' }, 'nothing'),
        ),
      ),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', onclick: restart }, 'Restart SBC')),
    );
  }

  const messages = h('div', { class: 'form-messages' });
  const file = h('input', { type: 'file', accept: '.toml,text/plain', id: 'config-upload' });
  replace(
    config,
    h('h2', { id: 'config-h' }, 'Configuration'),
    h(
      'p',
      { class: 'muted' },
      'Download the whole configuration as TOML, or upload one: it is validated, applied live without dropping calls, and saved only when the SBC accepted it. Settings read only at start (management listener, firewall on/off, listeners, TLS files) are saved and take effect at restart.',
    ),
    messages,
    h(
      'div',
      { class: 'actions left' },
      h('button', { type: 'button', onclick: download }, 'Download configuration'),
      h('label', { class: 'button', for: 'config-upload' }, 'Upload configuration…'),
      file,
    ),
  );
  file.addEventListener('change', async () => {
    const f = file.files[0];
    file.value = '';
    if (!f) return;
    messages.replaceChildren();
    try {
      await api('GET', '/api/config', { raw: true }); // fresh ETag: the upload replaces what is current
      await api('PUT', '/api/config', { body: await f.text() });
      toast('Configuration applied');
      await Promise.all([loadInfo(), loadVersions(), loadAudit()]);
    } catch (err) {
      const where = err.field ? `${err.field}: ` : '';
      messages.append(banner('error', `Not applied, not saved. ${where}${err.message}`));
    }
  });

  async function download() {
    try {
      const text = await api('GET', '/api/config', { raw: true });
      const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/plain' })), download: 'sbc.toml' });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  async function restart() {
    if (!(await confirmDialog('Restart the SBC?', 'Active calls are dropped and the web UI is unavailable for a few seconds.', 'Restart'))) return;
    try {
      await api('POST', '/api/system/restart');
      toast('Restarting…');
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  async function loadVersions() {
    const list = await api('GET', '/api/config/versions').catch(() => []);
    // Newest first, whatever order the server lists them in.
    const rows = [...list].sort((x, y) => Number(y.version) - Number(x.version)).map((v, i) => [
      String(v.version),
      v.saved_at ? new Date(v.saved_at).toLocaleString() : '—',
      v.by || '—',
      i === 0
        ? h('span', { class: 'muted' }, 'current')
        : h(
            'button',
            {
              type: 'button',
              class: 'small',
              'aria-label': `Roll back to version ${v.version}`,
              onclick: async () => {
                if (!(await confirmDialog(`Roll back to version ${v.version}?`, 'The configuration of that version is validated and applied live.', 'Roll back', false))) return;
                try {
                  await api('POST', `/api/config/rollback/${encodeURIComponent(v.version)}`);
                  toast(`Rolled back to version ${v.version}`);
                  await Promise.all([loadInfo(), loadVersions(), loadAudit()]);
                } catch (err) {
                  toast(err.message, 'error');
                }
              },
            },
            'Roll back',
          ),
    ]);
    replace(versions, h('h2', { id: 'versions-h' }, 'Configuration versions'), table(['Version', 'Saved', 'By', ''], rows, 'No saved versions yet.', 'Configuration versions'));
  }

  async function loadAudit() {
    const list = await api('GET', '/api/audit').catch(() => []);
    const when = (e) => Date.parse(e.at) || 0;
    const rows = [...list].sort((x, y) => when(y) - when(x)).slice(0, 50).map((e) => [
      e.at ? new Date(e.at).toLocaleString() : '—',
      e.user || '—',
      e.action || '',
      e.diff ? h('details', {}, h('summary', {}, 'diff'), h('pre', { class: 'diff' }, e.diff)) : '',
    ]);
    replace(audit, h('h2', { id: 'audit-h' }, 'Audit log'), table(['When', 'Who', 'What', 'Change'], rows, 'No changes recorded.', 'Audit log'));
  }

  await Promise.all([loadInfo(), loadVersions(), loadAudit()]);
}
