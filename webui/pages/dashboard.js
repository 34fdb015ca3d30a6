// Dashboard: what the SBC is doing right now, updated live from /api/events.
// Key figures (active calls, calls per second, trunks up, registrations, bans), every active
// call with both legs (trunk, remote address, codec, SRTP) and each media stream's latched
// addresses, packets and loss, the health of each trunk peer, registrations (the SBC's own at
// trunks, with state and expiry or retry, and the phones registered through it) and bans.

import { api } from '../api.js';
import { subscribe, seed } from '../live.js';
import { drawBans } from '../bans.js';
import { h, replace, pill, duration, count, table, pageHeader } from '../ui.js';

export async function render(main) {
  const kpis = h('section', { class: 'kpis', 'aria-label': 'Key figures' });
  const calls = h('section', { class: 'card', 'aria-labelledby': 'calls-h' });
  const trunks = h('section', { class: 'card', 'aria-labelledby': 'trunks-h' });
  const regs = h('section', { class: 'card', 'aria-labelledby': 'regs-h' });
  const bans = h('section', { class: 'card', 'aria-labelledby': 'bans-h' });
  main.append(
    pageHeader('Dashboard', 'Live view of calls, trunks and security. Updates every second.'),
    kpis,
    calls,
    h('div', { class: 'grid-2' }, trunks, h('div', { class: 'stack' }, regs, bans)),
  );

  const offStatus = subscribe('status', (s) => {
    renderKpis(kpis, s);
    renderTrunks(trunks, s.trunks || []);
    renderRegistrations(regs, s.registrations || [], s.trunk_registrations || []);
    renderBans(bans, s.bans || []);
  });
  const offCalls = subscribe('calls', (list) => renderCalls(calls, list || []));

  // Fill the page at once; the event stream takes over from here.
  const [status, callList] = await Promise.all([api('GET', '/api/status'), api('GET', '/api/calls')]);
  seed('status', status);
  seed('calls', callList);
  return () => {
    offStatus();
    offCalls();
  };
}

function kpi(label, value, detail, kind = '') {
  return h(
    'div',
    { class: `kpi ${kind}` },
    h('div', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-value' }, value),
    detail ? h('div', { class: 'kpi-detail' }, detail) : null,
  );
}

function renderKpis(el, s) {
  const peers = (s.trunks || []).flatMap((t) => t.peers || []);
  const up = peers.filter((p) => p.up).length;
  const down = (s.trunks || []).filter((t) => t.down).length;
  const cps = Number(s.calls?.cps ?? 0);
  replace(
    el,
    kpi('Active calls', count(s.calls?.active ?? 0)),
    kpi('Calls per second', cps.toFixed(cps < 10 ? 1 : 0)),
    kpi(
      'Trunk peers up',
      `${up} / ${peers.length}`,
      down ? `${down} trunk${down > 1 ? 's' : ''} down` : null,
      down || (peers.length && up < peers.length) ? 'warn' : 'good',
    ),
    registrationsKpi(s),
    kpi('Banned addresses', count((s.bans || []).length), null, (s.bans || []).length ? 'warn' : ''),
    kpi('Uptime', duration(s.uptime_seconds), `version ${s.version || '?'}`),
  );
}

function registrationsKpi(s) {
  const own = s.trunk_registrations || [];
  const bad = own.filter((r) => r.state !== 'registered').length;
  const detail = own.length ? `trunks: ${own.length - bad} / ${own.length} registered` : null;
  return kpi('Registrations', count((s.registrations || []).length + own.length), detail, bad ? 'warn' : '');
}

function leg(l) {
  if (!l) return '—';
  return h(
    'div',
    { class: 'leg' },
    h('div', {}, h('strong', {}, l.trunk || l.realm || '?'), ' ', h('span', { class: 'muted mono' }, l.remote || '')),
    h(
      'div',
      { class: 'leg-tags' },
      l.codec ? pill('neutral', l.transcoded ? `${l.codec} (transcoded)` : l.codec) : null,
      l.srtp ? pill('secure', l.srtp_suite ? `SRTP ${l.srtp_suite}` : 'SRTP') : pill('plain', 'RTP'),
    ),
  );
}

function side(x) {
  if (!x) return '—';
  const loss = Number(x.lost || 0);
  const total = Number(x.packets || 0) + loss;
  const pct = total ? ((loss / total) * 100).toFixed(1) : '0.0';
  return h(
    'div',
    { class: 'stream-side' },
    h('div', { class: 'mono' }, x.latched || h('span', { class: 'muted' }, 'not latched yet')),
    h(
      'div',
      { class: 'muted small' },
      `${count(x.packets)} pkts · ${pct}% lost`,
      x.jitter !== undefined && x.jitter !== null ? ` · jitter ${Number(x.jitter).toFixed(1)} ms` : '',
      dropText(x.dropped),
    ),
    qualityText(x.quality),
    iceText(x.ice),
  );
}

// ICE-lite on this side: the SBC's credentials, the checks it answered (and refused),
// and the nominated address media follows.
function iceText(ice) {
  if (!ice) return '';
  const forks = (ice.remote_ufrags || []).length;
  return h(
    'div',
    { class: 'small', 'data-ice': ice.nominated ? 'nominated' : 'waiting' },
    ice.nominated ? pill('up', 'ICE nominated') : pill('warn', 'ICE waiting'),
    h('span', { class: 'muted' },
      ` ufrag ${ice.local_ufrag} · ${count(ice.checks)} check${Number(ice.checks) === 1 ? '' : 's'}` +
      (ice.refused ? ` · ${count(ice.refused)} refused` : '') +
      (forks > 1 ? ` · ${forks} endpoints` : '')),
    ice.nominated ? h('span', { class: 'mono' }, ` → ${ice.nominated}`) : null,
  );
}

// Call quality of what this side's peer sent: MOS (E-model), loss, jitter, round trip,
// and where the numbers come from (the SBC's own counts, or the far peer's RTCP).
function qualityText(q) {
  if (!q || q.mos === null || q.mos === undefined) return null;
  const mos = Number(q.mos);
  const kind = mos >= 4.0 ? 'secure' : mos >= 3.5 ? 'neutral' : 'plain';
  const rtt = q.rtt_ms !== null && q.rtt_ms !== undefined ? ` · rtt ${Number(q.rtt_ms).toFixed(0)} ms` : '';
  return h(
    'div',
    { class: 'muted small', 'data-quality': q.source },
    pill(kind, `MOS ${mos.toFixed(2)}`),
    ` ${Number(q.loss_pct).toFixed(1)}% lost · jitter ${Number(q.jitter_ms).toFixed(1)} ms${rtt} (${q.source})`,
  );
}

// Drops an operator acts on: SRTP authentication failures and replays (keys that do not
// match, an attack), then the rest summed.
function dropText(dropped) {
  if (!dropped) return '';
  const named = { unprotect: 'auth failed', replay: 'replayed' };
  let text = '';
  let other = 0;
  for (const [reason, n] of Object.entries(dropped)) {
    if (named[reason]) text += ` · ${count(n)} ${named[reason]}`;
    else other += Number(n);
  }
  if (other) text += ` · ${count(other)} dropped`;
  return text;
}

/** "audio"/"video" as they are; an m-line index ("m0") as "stream 1". */
function streamLabel(media) {
  const index = /^m(\d+)$/.exec(media || '');
  return index ? `stream ${Number(index[1]) + 1}` : media || 'audio';
}

/** The call's DTMF digits (masked as x unless its trunks show them), newest last. */
function digits(list) {
  if (!list || !list.length) return null;
  const text = list.map((d) => `${d.digit} ${d.direction === 'a-to-b' ? 'A→B' : 'B→A'} ${d.from_mode}→${d.to_mode}`).join(', ');
  return h('div', { class: 'muted small', title: 'DTMF digits' }, 'DTMF: ', text);
}

/** "call#7" -> a link to the call's SIP ladder (#/ladder/7). */
function ladderLink(id) {
  const n = /(\d+)$/.exec(id || '');
  return n ? h('a', { href: `#/ladder/${n[1]}`, 'aria-label': `SIP ladder of ${id}` }, 'SIP ladder') : null;
}

function renderCalls(el, list) {
  const rows = list.map((c) => [
    h(
      'div',
      {},
      h('div', {}, c.from || '?', ' → ', c.to || '?'),
      h('div', { class: 'muted small' }, c.state || '', ' · ', ladderLink(c.id)),
    ),
    duration(c.duration_seconds),
    leg(c.a),
    leg(c.b),
    h(
      'div',
      { class: 'streams' },
      (c.streams || []).length
        ? c.streams.map((s) =>
            h('div', { class: 'stream' }, h('span', { class: 'stream-media' }, streamLabel(s.media)), side(s.a), h('span', { 'aria-hidden': 'true' }, '⇄'), side(s.b)),
          )
        : h('span', { class: 'muted' }, 'no media'),
      digits(c.digits),
    ),
  ]);
  replace(
    el,
    h('h2', { id: 'calls-h' }, 'Active calls ', h('span', { class: 'count' }, String(list.length))),
    table(['Call', 'Duration', 'Leg A (caller side)', 'Leg B (callee side)', 'Media (latched address, packets, loss)'], rows, 'No active calls.', 'Active calls'),
  );
}

function renderTrunks(el, trunks) {
  const rows = trunks.map((t) => [
    h('strong', {}, t.name),
    t.realm || '',
    h(
      'div',
      { class: 'peers' },
      // A trunk with no target at all (a name that does not resolve) is down with a reason.
      t.down ? h('div', {}, pill('down', 'Trunk down'), ' ', h('span', { class: 'small' }, t.down)) : null,
      (t.peers || []).map((p) => h('div', {}, p.up ? pill('up', 'Up') : pill('down', 'Down'), ' ', h('span', { class: 'mono' }, p.address))),
    ),
    String(t.active_calls ?? 0),
  ]);
  replace(
    el,
    h('h2', { id: 'trunks-h' }, 'Trunk health'),
    table(['Trunk', 'Realm', 'Peers', 'Calls'], rows, 'No trunks configured.', 'Trunk health'),
  );
}

const REG_STATES = {
  registered: ['up', 'Registered'],
  registering: ['neutral', 'Registering'],
  backoff: ['warn', 'Retrying'],
  failed: ['down', 'Failed'],
  unregistering: ['neutral', 'Unregistering'],
};

function regState(r) {
  const [kind, label] = REG_STATES[r.state] || ['neutral', r.state || '?'];
  return h('div', {}, pill(kind, label), r.reason ? h('div', { class: 'muted small' }, r.reason) : null);
}

function regTiming(r) {
  if (r.state === 'registered' && r.expires_in !== null && r.expires_in !== undefined) return `expires in ${duration(r.expires_in)}`;
  if (r.retry_in !== null && r.retry_in !== undefined) return `retry in ${duration(r.retry_in)}`;
  return '—';
}

function renderRegistrations(el, phones, trunkRegs) {
  const own = trunkRegs.map((r) => [
    h('strong', {}, r.trunk),
    h('div', {}, h('div', { class: 'mono' }, r.registrar), h('div', { class: 'muted small mono' }, r.peer)),
    regState(r),
    regTiming(r),
  ]);
  const rows = phones.map((r) => [h('span', { class: 'mono' }, r.aor), h('span', { class: 'mono' }, r.contact), duration(r.expires_in)]);
  replace(
    el,
    h('h2', { id: 'regs-h' }, 'Registrations ', h('span', { class: 'count' }, String(phones.length + trunkRegs.length))),
    h('h3', { class: 'sub' }, 'The SBC at trunks'),
    table(['Trunk', 'Registrar', 'State', 'Expiry'], own, 'No trunk registrations configured.', 'Trunk registrations'),
    h('h3', { class: 'sub' }, 'Phones through the SBC'),
    table(['Address of record', 'Contact', 'Expires in'], rows, 'No registered endpoints.', 'Registrations'),
  );
}

function renderBans(el, bans) {
  drawBans(el, bans, { title: 'Current bans', empty: 'No banned addresses.' });
}
