// Trunks: the SIP peers the SBC talks to (carriers, PBXs). List with live peer health, create,
// edit, delete. A trunk's JSON is the config's [[trunk]] table; fields the form does not show
// (TLS files, OPTIONS tuning) are kept as they are on edit. Codec, DTMF, SRTP mode and suite choices come
// from the daemon's registry (GET /api/registry): a choice the daemon does not act on yet is
// shown disabled, with what brings it.

import { api } from '../api.js';
import { subscribe } from '../live.js';
import { h, replace, field, pill, table, pageHeader, toast, confirmDialog, lines } from '../ui.js';
import { openEditor, valueOf, optionalInt } from '../editor.js';
import { ruleTester } from './rule_tester.js';

export async function render(main) {
  const body = h('div');
  // The rule tester keeps what the operator typed: built on load, not on health updates.
  const tester = h('div');
  // Enabled once the realms (the form's choices) are loaded.
  const addButton = h('button', { type: 'button', class: 'primary', disabled: true, onclick: () => edit(null) }, 'Add trunk');
  main.append(pageHeader('Trunks', 'SIP peers the SBC exchanges calls with. Requests from a peer address belong to its trunk.', addButton), body, tester);
  let list = [];
  let realms = [];
  let registry = { codecs: [], dtmf_modes: [], dtmf_info_types: [], srtp_modes: [], srtp_suites: [] };
  let status = new Map();

  async function load() {
    [list, realms, registry] = await Promise.all([
      api('GET', '/api/trunks'),
      api('GET', '/api/realms').catch(() => []),
      api('GET', '/api/registry'),
    ]);
    addButton.disabled = false;
    draw();
    replace(tester, list.length ? ruleTester(list) : null);
  }

  // A peer or source given by name: its state, and what it resolved to (RFC 3263 order).
  function resolvedPeer(p, named) {
    const n = named.find((x) => x.name === p);
    if (!n) return null;
    const when = n.changed ? new Date(n.changed * 1000).toLocaleTimeString() : '';
    return h(
      'div',
      { class: 'small' },
      h('div', { class: 'muted' }, n.state === 'failed' ? pill('down', 'DNS failed') : n.state === 'pending' ? pill('warn', 'resolving') : pill('up', 'resolved'), ` since ${when}`, n.reason ? ` — ${n.reason}` : ''),
      (n.targets || []).map((x) =>
        h(
          'div',
          { class: 'mono', title: x.source },
          n.source_only ? null : (x.up ? pill('up', 'Up') : pill('down', 'Down')),
          ` ${x.transport}:${x.address}${n.source_only ? '' : `:${x.port}`}`,
          h('span', { class: 'muted' }, ` prio ${x.priority} weight ${x.weight}, TTL ${x.ttl_left} s`),
        ),
      ),
    );
  }

  function draw() {
    const rows = list.map((file) => {
      const live = status.get(file.name) || {};
      // What the trunk runs on: its own keys, and its profile's where it sets none.
      const t = { ...profileValues(live), ...file };
      const peers = live.peers || [];
      const named = live.names || [];
      return [
        h(
          'div',
          {},
          h('strong', {}, t.name),
          profileNote(live),
          certificateNote(live.certificate),
          t.register ? h('div', { class: 'muted small' }, `registers as ${t.register.user}`) : null,
          t.rule && t.rule.length ? h('div', { class: 'muted small' }, `${t.rule.length} header rule${t.rule.length === 1 ? '' : 's'} (edited in the config file; try them below)`) : null,
        ),
        t.realm,
        h(
          'div',
          { class: 'peers' },
          live.down ? h('div', {}, pill('down', 'Trunk down'), ' ', h('span', { class: 'small' }, live.down)) : null,
          (t.peers || []).map((p) => {
            const state = peers.find((x) => x.address === p);
            return h('div', {}, state ? (state.up ? pill('up', 'Up') : pill('down', 'Down')) : null, ' ', h('span', { class: 'mono' }, p), resolvedPeer(p, named), optionsNote(p, named, live.options || []));
          }),
          (t.sources || []).map((p) => h('div', {}, h('span', { class: 'muted small' }, 'source '), h('span', { class: 'mono' }, p), resolvedPeer(p, named))),
        ),
        h(
          'div',
          {},
          (t.codecs || []).length ? t.codecs.join(', ') : h('span', { class: 'muted' }, 'all'),
          t.ptime ? h('div', { class: 'muted small' }, `ptime ${t.ptime} ms`) : null,
          t.g729_annexb ? h('div', { class: 'muted small' }, 'G.729 Annex B') : null,
        ),
        t.dtmf || 'rfc4733',
        srtpCell(t),
        limits(t),
        h(
          'div',
          { class: 'row-actions' },
          h('button', { type: 'button', class: 'small', 'aria-label': `Edit trunk ${t.name}`, onclick: () => edit(file) }, 'Edit'),
          h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete trunk ${t.name}`, onclick: () => remove(file) }, 'Delete'),
        ),
      ];
    });
    replace(body, h('section', { class: 'card' }, table(['Name', 'Realm', 'Peers', 'Codecs', 'DTMF', 'SRTP', 'Limits', ''], rows, 'No trunks yet. Add one to start routing calls.', 'Trunks')));
  }

  // The OPTIONS probes of a peer (of each address a name gave): answered or not, the
  // last answer's code and age.
  function optionsNote(p, named, options) {
    const n = named.find((x) => x.name === p);
    const addresses = n ? (n.targets || []).map((x) => `${x.transport}:${x.address}:${x.port}`) : [p];
    const found = options.filter((o) => addresses.includes(o.address) || o.address === p);
    return found.map((o) =>
      h(
        'div',
        { class: 'small', 'data-options': o.state },
        o.state === 'up' ? pill('up', 'answers OPTIONS') : o.state === 'down' ? pill('down', 'no OPTIONS answer') : pill('warn', 'OPTIONS pending'),
        h('span', { class: 'muted' },
          n ? ` ${o.address}` : '',
          o.last_code ? ` · last ${o.last_code}, ${o.last_answer_ago} s ago` : '',
          o.last_failure ? ` · ${o.last_failure}` : '',
          ` · ${o.probes_sent} sent`),
      ),
    );
  }

  async function edit(trunk) {
    const isNew = !trunk;
    const fromProfile = trunk ? profileValues(status.get(trunk.name) || {}) : {};
    const t = trunk ? { ...fromProfile, ...trunk } : { name: '', realm: realms[0]?.name || '', peers: [] };
    const name = h('input', { type: 'text', value: t.name, autocomplete: 'off', spellcheck: 'false' });
    const realm = h(
      'select',
      {},
      realms.map((r) => h('option', { value: r.name, selected: r.name === t.realm }, r.name)),
      realms.some((r) => r.name === t.realm) || !t.realm ? null : h('option', { value: t.realm, selected: true }, t.realm),
    );
    const peers = h('textarea', { rows: 3, spellcheck: 'false' }, (t.peers || []).join('\n'));
    const sources = h('textarea', { rows: 2, spellcheck: 'false' }, (t.sources || []).join('\n'));
    const codecs = h('input', { type: 'text', value: (t.codecs || []).join(', '), spellcheck: 'false' });
    const transcode = choiceSelect(TRANSCODE_MODES, t.transcode || 'when-needed');
    const ptime = h(
      'select',
      {},
      h('option', { value: '', selected: !t.ptime }, 'as the peers send'),
      PTIMES.map((ms) => h('option', { value: String(ms), selected: t.ptime === ms }, `${ms} ms`)),
    );
    const annexB = h('input', { type: 'checkbox', checked: t.g729_annexb === true });
    const dtmf = choiceSelect(registry.dtmf_modes, t.dtmf || 'rfc4733');
    const infoType = choiceSelect(registry.dtmf_info_types || [], t.dtmf_info_type || 'dtmf-relay');
    const showDigits = h('input', { type: 'checkbox', checked: t.show_digits === true });
    const srtp = choiceSelect(registry.srtp_modes, t.srtp || 'off');
    const suites = h('input', { type: 'text', value: (t.srtp_suites || []).join(', '), spellcheck: 'false' });
    const suiteNames = registry.srtp_suites.filter((x) => x.supported).map((x) => x.name).join(', ');
    const inClear = h('input', { type: 'checkbox', checked: !!t.sdes_without_tls });
    // SDES keys are in the SDP: without TLS anyone on the path reads them.
    const clearWarning = h('div', { class: 'banner warning span-2', role: 'status', hidden: !t.sdes_without_tls },
      'SRTP keys will travel in clear SIP: anyone who sees the signalling can decrypt the media. Use only on a network you control, or give the trunk tls: peers.');
    inClear.addEventListener('change', () => { clearWarning.hidden = !inClear.checked; });
    const codecNames = registry.codecs.map((c) => c.name).join(', ');
    const maxCalls = h('input', { type: 'number', min: 0, value: t.max_calls ?? '' });
    const maxCps = h('input', { type: 'number', min: 0, value: t.max_cps ?? '' });
    const options = h('input', { type: 'number', min: 0, value: t.options_interval ?? '' });
    const reg = t.register || {};
    const regUser = h('input', { type: 'text', value: reg.user || '', autocomplete: 'off' });
    const regPassword = h('input', { type: 'password', value: reg.password || '', autocomplete: 'new-password' });
    const regDomain = h('input', { type: 'text', value: reg.domain || '', autocomplete: 'off' });

    const saved = await openEditor({
      title: isNew ? 'Add trunk' : `Edit trunk ${t.name}`,
      submitLabel: isNew ? 'Add trunk' : 'Save trunk',
      fields: [
        field('Name', name, { key: 'name', hint: 'Used in routes and logs.' }),
        field('Realm', realm, { key: 'realm', hint: 'The network side (listener) the peers are reached through.' }),
        h('div', { class: 'span-2' }, field('Peers', peers, { key: 'peers', hint: 'One per line: an address or a DNS name, udp:198.51.100.20:5060, sip.carrier.example, tls:sbc.pbx.example:5061. A name without transport or port follows RFC 3263 (NAPTR, SRV, A); an address without transport is UDP, without port 5060 (tls 5061)' })),
        h('div', { class: 'span-2' }, field('Sources', sources, { key: 'sources', hint: 'Optional, one per line: networks (52.112.0.0/14) or DNS names whose requests are this trunk\u2019s too, besides its peers. Never called.' })),
        field('Codecs', codecs, { key: 'codecs', hint: `In order of preference, comma separated; empty allows all (${codecNames}).` }),
        field('Transcoding', transcode, { key: 'transcode', hint: choiceHint(TRANSCODE_MODES) }),
        field('Packet time', ptime, { key: 'ptime', hint: 'Towards this trunk\u2019s peers: the SBC says a=ptime and re-cuts relayed G.711, G.722 and G.729 and its transcoded audio to it. Empty: the peers\u2019 own packet time is relayed.' }),
        field('G.729 Annex B', annexB, { key: 'g729_annexb', hint: 'Off: the SBC offers G.729 with annexb=no (no silence suppression). On: Annex B when the peer\u2019s SDP allows it too.' }),
        field('DTMF', dtmf, { key: 'dtmf', hint: choiceHint(registry.dtmf_modes) }),
        field('DTMF INFO body', infoType, { key: 'dtmf_info_type', hint: choiceHint(registry.dtmf_info_types || []) }),
        field('Show DTMF digits', showDigits, { key: 'show_digits', hint: 'Off: digits are masked (x) in logs and the API; they can be card numbers.' }),
        field('SRTP', srtp, { key: 'srtp', hint: choiceHint(registry.srtp_modes) }),
        field('SRTP suites', suites, { key: 'srtp_suites', hint: `In order of preference, comma separated; empty: the SBC's order (${suiteNames}).` }),
        h('div', { class: 'span-2' }, field('SRTP keys over UDP/TCP signalling', inClear, { key: 'sdes_without_tls', hint: 'By default SDES keys are offered and accepted only on TLS peers.' })),
        clearWarning,
        field('OPTIONS health check interval (s)', options, { key: 'options_interval', hint: 'Empty or 0: off.' }),
        field('Maximum concurrent calls', maxCalls, { key: 'max_calls', hint: 'Empty: unlimited.' }),
        field('Maximum calls per second', maxCps, { key: 'max_cps', hint: 'Empty: unlimited.' }),
        h('h3', { class: 'span-2 section-title' }, 'Registration at this trunk (optional)'),
        field('Registration user', regUser, { key: 'register.user' }),
        field('Registration password', regPassword, { key: 'register.password' }),
        field('Registration domain', regDomain, { key: 'register.domain', hint: 'Default: the first peer’s address.' }),
      ],
      onConflict: load,
      save: async (form) => {
        const out = { ...t };
        out.name = valueOf(form, 'name');
        out.realm = valueOf(form, 'realm');
        out.peers = lines(peers.value);
        const sourceList = lines(sources.value);
        if (sourceList.length) out.sources = sourceList;
        else delete out.sources;
        const codecList = lines(codecs.value);
        if (codecList.length) out.codecs = codecList;
        else delete out.codecs;
        if (valueOf(form, 'transcode') === 'never') out.transcode = 'never';
        else delete out.transcode;
        delete out.ptime;
        optionalInt(out, 'ptime', valueOf(form, 'ptime'));
        if (annexB.checked) out.g729_annexb = true;
        else delete out.g729_annexb;
        out.dtmf = valueOf(form, 'dtmf');
        out.dtmf_info_type = valueOf(form, 'dtmf_info_type');
        if (showDigits.checked) out.show_digits = true;
        else delete out.show_digits;
        out.srtp = valueOf(form, 'srtp');
        const suiteList = lines(suites.value);
        if (suiteList.length) out.srtp_suites = suiteList;
        else delete out.srtp_suites;
        if (inClear.checked) out.sdes_without_tls = true;
        else delete out.sdes_without_tls;
        for (const key of ['max_calls', 'max_cps', 'options_interval']) delete out[key];
        optionalInt(out, 'max_calls', valueOf(form, 'max_calls'));
        optionalInt(out, 'max_cps', valueOf(form, 'max_cps'));
        optionalInt(out, 'options_interval', valueOf(form, 'options_interval'));
        const user = valueOf(form, 'register.user');
        if (user) {
          out.register = { ...reg, user, password: regPassword.value };
          const domain = valueOf(form, 'register.domain');
          if (domain) out.register.domain = domain;
          else delete out.register.domain;
        } else {
          delete out.register;
        }
        // A value still the profile's stays the profile's (not written into the file).
        for (const [key, value] of Object.entries(fromProfile)) {
          if (!(key in trunk) && JSON.stringify(out[key]) === JSON.stringify(value)) delete out[key];
        }
        if (isNew) await api('POST', '/api/trunks', { body: out });
        else await api('PUT', `/api/trunks/${encodeURIComponent(t.name)}`, { body: out });
      },
    });
    if (saved) {
      toast(isNew ? 'Trunk added' : 'Trunk saved');
      await load();
    }
  }

  async function remove(t) {
    const ok = await confirmDialog(`Delete trunk ${t.name}?`, 'Calls in progress continue; new calls from or to its peers are refused. Routes that use it must be changed first.');
    if (!ok) return;
    try {
      await api('DELETE', `/api/trunks/${encodeURIComponent(t.name)}`);
      toast(`Trunk ${t.name} deleted`);
    } catch (err) {
      toast(err.status === 409 ? 'The configuration changed meanwhile; reloaded. Try again.' : err.message, 'error');
    }
    await load();
  }

  const off = subscribe('status', (s) => {
    status = new Map((s.trunks || []).map((t) => [t.name, t]));
    if (list.length) draw();
  });
  await load();
  return off;
}

// A select of registry choices: the ones the daemon does not act on yet are disabled (the
// current value stays selectable so that editing other fields keeps it).
// `ptime = ...` of a trunk: the packet times the config accepts.
const PTIMES = [10, 20, 30, 40, 60];

// `transcode = ...` of a trunk (the config's contract; `media.max_transcoded` caps it).
const TRANSCODE_MODES = [
  { value: 'when-needed', supported: true, meaning: 'when the two sides share no codec, the SBC offers codecs it transcodes to (PCMU, PCMA, G722, opus, G729)' },
  { value: 'never', supported: true, meaning: 'a call whose sides share no codec gets 488' },
];

function choiceSelect(choices, current) {
  return h(
    'select',
    {},
    choices.map((c) =>
      h(
        'option',
        { value: c.value, selected: c.value === current, disabled: !c.supported && c.value !== current },
        c.supported ? c.value : `${c.value} (not yet)`,
      ),
    ),
  );
}

// What each choice means, and what brings the ones not available yet.
function choiceHint(choices) {
  return choices.map((c) => (c.supported ? `${c.value}: ${c.meaning}` : `${c.value}: ${c.note}`)).join('; ') + '.';
}

function srtpPill(mode) {
  const m = mode || 'off';
  if (m === 'required') return pill('secure', 'required');
  if (m === 'optional') return pill('neutral', 'optional');
  return pill('plain', 'off');
}

// The SRTP mode, the suites when chosen, and a warning when keys may travel in clear.
function srtpCell(t) {
  return h(
    'div',
    {},
    srtpPill(t.srtp),
    t.sdes_without_tls && (t.srtp || 'off') !== 'off' ? [' ', pill('warn', 'keys in clear')] : null,
    (t.srtp_suites || []).length ? h('div', { class: 'muted small mono' }, t.srtp_suites.join(', ')) : null,
  );
}

function limits(t) {
  const parts = [];
  if (t.max_calls !== undefined && t.max_calls !== null) parts.push(`${t.max_calls} calls`);
  if (t.max_cps !== undefined && t.max_cps !== null) parts.push(`${t.max_cps}/s`);
  return parts.length ? parts.join(' · ') : h('span', { class: 'muted' }, 'none');
}

// The values a trunk's profile gives (keys its section leaves out), as JSON values; those
// TOML writes in a form JSON cannot read (header rules) are only shown.
function profileValues(live) {
  const out = {};
  for (const v of live.from_profile || []) {
    if (v.key.includes('.')) continue;
    try {
      out[v.key] = JSON.parse(v.value);
    } catch {
      /* shown in the list, not edited */
    }
  }
  return out;
}

function profileNote(live) {
  if (!live.profile) return null;
  const values = live.from_profile || [];
  return h(
    'details',
    { class: 'small', 'data-profile': live.profile },
    h('summary', {}, pill('neutral', `profile ${live.profile}`), h('span', { class: 'muted' }, ` ${values.length} values`)),
    values.map((v) => h('div', { class: 'mono muted' }, `${v.key} = ${v.value}`)),
  );
}

// The realm's FQDN against the certificate it serves (what a peer verifying the SBC checks).
function certificateNote(c) {
  if (!c) return null;
  return h(
    'div',
    { class: 'small', 'data-certificate': c.ok ? 'ok' : 'mismatch', title: c.certificate },
    c.ok ? pill('up', 'certificate names') : pill('down', 'certificate lacks'),
    h('span', { class: 'mono' }, ` ${c.domain}`),
    c.reason ? h('span', { class: 'muted' }, ` — ${c.reason}`) : null,
  );
}
