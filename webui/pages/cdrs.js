// Call history: the call detail records the SBC wrote (GET /api/cdrs), newest first, filtered
// by trunk, number and result, downloadable as CSV or JSON lines. Each row opens the call's
// SIP ladder (#/ladder/<call>) while the SBC still keeps its messages.

import { api } from '../api.js';
import { h, replace, field, table, pageHeader, pill, duration } from '../ui.js';

const RESULTS = ['', 'answered', 'busy', 'cancelled', 'failed'];

/** The query string of the filters (empty ones left out). */
function query(filters, extra = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v !== '' && v != null) q.set(k, v);
  return q.toString();
}

/** "sip:+4989@host" out of a From/To header value. */
function party(value) {
  const m = /<([^>]*)>/.exec(value || '');
  return (m ? m[1] : String(value || '').split(';')[0]).replace(/^sips?:/, '');
}

function resultPill(r) {
  const kind = r === 'answered' ? 'up' : r === 'busy' || r === 'cancelled' ? 'warn' : 'down';
  return pill(kind, r || '?');
}

function q850(leg) {
  const q = leg && leg.q850;
  if (!q) return '';
  return h('span', { title: `${q.text || ''} (${q.source})` }, String(q.cause));
}

export async function render(main, ctx) {
  const trunk = h('input', { type: 'text', placeholder: 'any', 'aria-label': 'Trunk' });
  const number = h('input', { type: 'text', placeholder: 'any', 'aria-label': 'Number' });
  const result = h('select', { 'aria-label': 'Result' }, RESULTS.map((r) => h('option', { value: r }, r || 'any')));
  const limit = h('select', { 'aria-label': 'Calls shown' }, [50, 100, 500, 1000].map((n) => h('option', { value: n, selected: n === 100 }, String(n))));
  const csv = h('a', { class: 'button', download: 'cdr.csv' }, 'Download CSV');
  const jsonl = h('a', { class: 'button', download: 'cdr.jsonl' }, 'Download JSON lines');
  const body = h('div');
  const filters = () => ({ trunk: trunk.value.trim(), number: number.value.trim(), result: result.value, limit: limit.value });
  const form = h(
    'form',
    { class: 'card filters', onsubmit: (e) => (e.preventDefault(), load()) },
    h('div', { class: 'filter-row' }, field('Trunk or realm', trunk), field('Number contains', number), field('Result', result), field('Last', limit), h('button', { type: 'submit', class: 'primary' }, 'Show')),
  );
  main.append(pageHeader('Call history', 'Call detail records, newest first. A call opens its SIP ladder while the SBC still keeps it.', csv, jsonl), form, body);

  async function load() {
    const f = filters();
    csv.href = `/api/cdrs?${query(f, { format: 'csv' })}`;
    jsonl.href = `/api/cdrs?${query(f, { format: 'jsonl' })}`;
    const list = await api('GET', `/api/cdrs?${query(f)}`);
    const rows = list.map((c) => {
      const [a, b] = c.legs || [{}, {}];
      return [
        h('a', { href: `#/ladder/${c.call}`, 'aria-label': `Ladder of call ${c.call}` }, String(c.call)),
        h('span', { class: 'mono small' }, (c.start || '').replace('T', ' ').replace('Z', '')),
        h('div', {}, h('strong', {}, a.trunk || a.realm || ''), h('div', { class: 'small mono' }, party(a.from))),
        h('div', {}, h('strong', {}, b.trunk || b.realm || ''), h('div', { class: 'small mono' }, party(b.to))),
        resultPill(c.result),
        c.code == null ? '' : String(c.code),
        h('span', {}, q850(a), ' / ', q850(b)),
        c.hangup || '',
        duration((c.duration_ms || 0) / 1000),
        [a.codec, b.codec].filter(Boolean).join(' / '),
      ];
    });
    replace(
      body,
      h(
        'section',
        { class: 'card' },
        table(['Call', 'Start (UTC)', 'From', 'To', 'Result', 'Code', 'Q.850 A / B', 'Hung up', 'Duration', 'Codecs'], rows, 'No calls match.', 'Call history'),
      ),
    );
  }
  await load();
}
