// System: version, uptime, settings saved but waiting for a restart, the configuration file
// (download, upload = validate, apply, then save; earlier versions with rollback), the audit
// log of changes, drain (new calls and OPTIONS refused with 503 while calls in progress run
// to their end; the count shown goes down live), restart, and firmware updates (upload a signed RAUC bundle; the appliance
// installs it into its other slot and reboots).

import { api } from '../api.js';
import { h, replace, table, pageHeader, toast, banner, confirmDialog, duration } from '../ui.js';

export async function render(main) {
  const info = h('section', { class: 'card', 'aria-labelledby': 'about-h' });
  const config = h('section', { class: 'card', 'aria-labelledby': 'config-h' });
  const versions = h('section', { class: 'card', 'aria-labelledby': 'versions-h' });
  const audit = h('section', { class: 'card', 'aria-labelledby': 'audit-h' });
  const update = h('section', { class: 'card', 'aria-labelledby': 'update-h' });
  main.append(pageHeader('System', 'Software, configuration and change history.'), h('div', { class: 'grid-2' }, info, config), update, versions, audit);

  async function loadInfo() {
    const s = await api('GET', '/api/system');
    const status = await api('GET', '/api/status');
    const draining = !!status.draining;
    const active = (status.calls && status.calls.active) || 0;
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
        h('dt', {}, 'New calls'),
        h(
          'dd',
          { class: 'drain-state', 'aria-live': 'polite' },
          draining
            ? `refused with 503 (draining): ${active} call${active === 1 ? '' : 's'} in progress`
            : `accepted (${active} in progress)`,
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        draining
          ? h('button', { type: 'button', onclick: () => setDrain(false) }, 'Resume taking calls')
          : h('button', { type: 'button', onclick: () => setDrain(true) }, 'Drain'),
        h('button', { type: 'button', class: 'danger', onclick: restart }, 'Restart SBC'),
      ),
    );
    // While draining, the count of calls in progress is refreshed until the page is left.
    if (draining) setTimeout(() => info.isConnected && loadInfo().catch(() => {}), 2000);
  }

  async function setDrain(on) {
    if (on && !(await confirmDialog('Drain the SBC?', 'New calls and OPTIONS are answered 503 so that peers use another server; calls in progress go on.', 'Drain'))) return;
    try {
      await api('POST', on ? '/api/drain' : '/api/undrain');
      toast(on ? 'Draining' : 'Taking calls again');
      await loadInfo();
    } catch (err) {
      toast(err.message, 'error');
    }
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

  // Firmware update: the bundle is uploaded, then the appliance's installer reports
  // installing / installed (rebooting) / failed, polled every 2 s while it works.
  const bundle = h('input', { type: 'file', accept: '.raucb', id: 'update-upload' });
  const updateState = h('div', { class: 'form-messages', 'aria-live': 'polite' });
  replace(
    update,
    h('h2', { id: 'update-h' }, 'Update'),
    h(
      'p',
      { class: 'muted' },
      'Upload a signed update bundle (.raucb). Its signature is checked, it is written to the other system slot, and the SBC reboots into it (active calls are dropped). If the new version does not come up healthy within 3 minutes, the SBC goes back to this one by itself.',
    ),
    updateState,
    h('div', { class: 'actions left' }, h('label', { class: 'button', for: 'update-upload' }, 'Upload update…'), bundle),
  );
  let polling = null;
  async function loadUpdate() {
    let s;
    try {
      s = await api('GET', '/api/system/update');
    } catch (err) {
      // While the SBC reboots into the new slot nothing answers: keep waiting.
      updateState.replaceChildren(banner('info', 'Waiting for the SBC to come back…'));
      return;
    }
    const text = {
      idle: null,
      queued: ['info', 'Uploaded; the installation starts…'],
      installing: ['info', `Installing: ${s.message || ''}`],
      installed: ['info', `Installed: ${s.message || ''}`],
      failed: ['error', `The update was refused: ${s.message || ''}`],
    }[s.state];
    updateState.replaceChildren(...(text ? [banner(text[0], text[1])] : []));
    const busy = s.state === 'queued' || s.state === 'installing' || s.state === 'installed';
    if (busy && !polling) polling = setInterval(loadUpdate, 2000);
    if (!busy && polling) {
      clearInterval(polling);
      polling = null;
    }
  }
  bundle.addEventListener('change', async () => {
    const f = bundle.files[0];
    bundle.value = '';
    if (!f) return;
    if (!(await confirmDialog(`Install ${f.name}?`, 'The SBC reboots into the new version when it is installed; active calls are dropped.', 'Install'))) return;
    updateState.replaceChildren(banner('info', `Uploading ${f.name} (${Math.round(f.size / 1048576)} MiB)…`));
    try {
      await api('POST', '/api/system/update', { body: f });
      toast('Update uploaded');
    } catch (err) {
      updateState.replaceChildren(banner('error', `Not installed. ${err.message}`));
      return;
    }
    await loadUpdate();
  });

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

  await Promise.all([loadInfo(), loadVersions(), loadAudit(), loadUpdate()]);
}
