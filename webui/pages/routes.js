// Routes: which trunk a call goes to. Evaluated top to bottom; the first route whose `from`
// (a trunk or realm) and `match_user` (a regex on the request-URI user) match wins, and
// `rewrite_user` may rewrite the user with the regex's groups ($1 ...).

import { api } from '../api.js';
import { h, replace, field, table, pageHeader, toast, confirmDialog } from '../ui.js';
import { openEditor, valueOf } from '../editor.js';

export async function render(main) {
  const body = h('div');
  // Enabled once the trunks and realms (the form's choices) are loaded.
  const addButton = h('button', { type: 'button', class: 'primary', disabled: true, onclick: () => edit(null, -1) }, 'Add route');
  main.append(pageHeader('Routes', 'Evaluated from top to bottom; the first match wins.', addButton), body);
  let list = [];
  let trunks = [];
  let realms = [];

  async function load() {
    [list, trunks, realms] = await Promise.all([api('GET', '/api/routes'), api('GET', '/api/trunks').catch(() => []), api('GET', '/api/realms').catch(() => [])]);
    addButton.disabled = false;
    draw();
  }

  function draw() {
    const rows = list.map((r, i) => [
      String(i + 1),
      h('strong', {}, r.from),
      r.match_user ? h('code', {}, r.match_user) : h('span', { class: 'muted' }, 'any'),
      r.rewrite_user ? h('code', {}, r.rewrite_user) : h('span', { class: 'muted' }, 'unchanged'),
      h('strong', {}, r.to),
      h(
        'div',
        { class: 'row-actions' },
        h('button', { type: 'button', class: 'small', 'aria-label': `Edit route ${i + 1}`, onclick: () => edit(r, i) }, 'Edit'),
        h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete route ${i + 1}`, onclick: () => remove(i) }, 'Delete'),
      ),
    ]);
    replace(body, h('section', { class: 'card' }, table(['#', 'From', 'Called user matches', 'Rewrite to', 'To trunk', ''], rows, 'No routes: every call is refused with 404.', 'Routes')));
  }

  async function edit(route, index) {
    const isNew = index < 0;
    const r = route || { from: '', to: '' };
    const sources = [...trunks.map((t) => ['trunk', t.name]), ...realms.map((x) => ['realm', x.name])];
    const from = h(
      'select',
      {},
      sources.map(([kind, n]) => h('option', { value: n, selected: n === r.from }, `${n} (${kind})`)),
    );
    const to = h('select', {}, trunks.map((t) => h('option', { value: t.name, selected: t.name === r.to }, t.name)));
    const match = h('input', { type: 'text', value: r.match_user || '', spellcheck: 'false', placeholder: '^\\+?49(\\d+)$' });
    const rewrite = h('input', { type: 'text', value: r.rewrite_user || '', spellcheck: 'false', placeholder: '0$1' });
    const saved = await openEditor({
      title: isNew ? 'Add route' : `Edit route ${index + 1}`,
      submitLabel: isNew ? 'Add route' : 'Save route',
      fields: [
        field('From (trunk or realm)', from, { key: 'from' }),
        field('To trunk', to, { key: 'to' }),
        field('Called user matches (regex)', match, { key: 'match_user', hint: 'Empty: any user.' }),
        field('Rewrite user to', rewrite, { key: 'rewrite_user', hint: 'Uses the regex groups: $1, $2 …  Empty: unchanged.' }),
      ],
      onConflict: load,
      save: async (form) => {
        const out = { ...r, from: valueOf(form, 'from'), to: valueOf(form, 'to') };
        for (const key of ['match_user', 'rewrite_user']) {
          const v = valueOf(form, key);
          if (v) out[key] = v;
          else delete out[key];
        }
        if (isNew) await api('POST', '/api/routes', { body: out });
        else await api('PUT', `/api/routes/${index}`, { body: out });
      },
    });
    if (saved) {
      toast(isNew ? 'Route added' : 'Route saved');
      await load();
    }
  }

  async function remove(index) {
    if (!(await confirmDialog(`Delete route ${index + 1}?`, 'Calls it matched will fall through to the next route.'))) return;
    try {
      await api('DELETE', `/api/routes/${index}`);
      toast('Route deleted');
    } catch (err) {
      toast(err.status === 409 ? 'The configuration changed meanwhile; reloaded. Try again.' : err.message, 'error');
    }
    await load();
  }

  await load();
}
