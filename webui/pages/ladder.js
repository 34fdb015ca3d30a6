// The SIP ladder of one call (#/ladder/<call>): every message of its two legs as the SBC read
// and wrote it (GET /api/calls/<call>/ladder), in time order: leg A (caller <-> SBC) on the
// left, leg B (SBC <-> callee) on the right, each arrow with its first line, time and the
// addresses and ports on the wire. A message opens to its full text. The pcap download holds
// the same messages for Wireshark, and the call's RTP/RTCP when it was picked for capture: the
// "RTP capture" card starts and stops that while the call is up (POST/DELETE
// /api/calls/<call>/capture) and says what was kept and dropped.

import { api } from '../api.js';
import { h, replace, pageHeader, banner, toast, count } from '../ui.js';

/** The RTP capture card: state, counts, and the start/stop button of a live call. */
function captureCard(call, ladder, rerender) {
  const rtp = ladder.rtp || { capturing: false, packets: 0, bytes: 0, dropped: 0 };
  const state = rtp.capturing
    ? 'Capturing: every RTP/RTCP packet of both legs is kept (SRTP decrypted, DTMF events masked) and goes into the pcap.'
    : rtp.packets || rtp.dropped
      ? 'Captured RTP/RTCP is in the pcap.'
      : 'Not captured: the pcap holds the SIP messages only.';
  const figures = `${count(rtp.packets)} packets · ${count(rtp.bytes)} bytes kept` + (rtp.dropped ? ` · ${count(rtp.dropped)} dropped (memory cap)` : '');
  const toggle = ladder.ended
    ? null
    : h(
        'button',
        {
          type: 'button',
          class: rtp.capturing ? 'button' : 'button primary',
          onclick: async (e) => {
            e.currentTarget.disabled = true;
            try {
              await api(rtp.capturing ? 'DELETE' : 'POST', `/api/calls/${call}/capture`);
              toast(rtp.capturing ? 'RTP capture stopped' : 'Capturing the call\'s RTP');
            } catch (err) {
              toast(err.message, 'error');
            }
            rerender();
          },
        },
        rtp.capturing ? 'Stop RTP capture' : 'Capture RTP',
      );
  return h(
    'section',
    { class: 'card', 'aria-label': 'RTP capture' },
    h('h2', {}, 'RTP capture'),
    h('p', {}, state),
    h('p', { class: 'small muted', 'data-capture-figures': '' }, figures),
    rtp.dropped ? banner('warning', `${rtp.dropped} packet(s) not kept: the call's or the SBC's capture memory was used up.`) : null,
    toggle,
  );
}

function lane(messages, leg) {
  const m = messages.find((x) => x.leg === leg);
  if (!m) return { peer: '—', sbc: '—' };
  return m.direction === 'in' ? { peer: m.src, sbc: m.dst } : { peer: m.dst, sbc: m.src };
}

export async function render(main) {
  const rerender = () => {
    main.replaceChildren();
    return render(main);
  };
  const call = (location.hash.split('/')[2] || '').replace(/[^0-9]/g, '');
  const pcap = h('a', { class: 'button', href: `/api/calls/${call}/pcap`, download: `call-${call}.pcap` }, 'Download pcap');
  const back = h('a', { class: 'button', href: '#/cdrs' }, 'Call history');
  const body = h('div');
  main.append(pageHeader(`SIP ladder of call ${call}`, 'Both legs, every message sent and received, as on the wire.', back, pcap), body);
  let ladder;
  try {
    ladder = await api('GET', `/api/calls/${call}/ladder`);
  } catch (err) {
    if (err.status === 404) {
      pcap.remove();
      replace(body, banner('info', err.message));
      return;
    }
    throw err;
  }
  const msgs = ladder.messages || [];
  const t0 = msgs.length ? msgs[0].unix_us : 0;
  const [a, b] = [lane(msgs, 'a'), lane(msgs, 'b')];
  const ids = Object.fromEntries((ladder.legs || []).map((l) => [l.side, l.call_id]));
  const head = h(
    'div',
    { class: 'ladder-row ladder-head' },
    h('div', {}, 'Time'),
    h('div', { class: 'lane' }, h('span', {}, 'Caller ', h('code', {}, a.peer)), h('span', {}, 'SBC ', h('code', {}, a.sbc))),
    h('div', { class: 'lane' }, h('span', {}, 'SBC ', h('code', {}, b.sbc)), h('span', {}, 'Callee ', h('code', {}, b.peer))),
  );
  const rows = msgs.map((m) => {
    // Left to right: towards the SBC on leg A, away from it on leg B.
    const rightward = (m.leg === 'a') === (m.direction === 'in');
    const detail = h('pre', { class: 'ladder-message', hidden: true }, m.message);
    const arrow = h(
      'button',
      { type: 'button', class: `arrow ${rightward ? 'right' : 'left'}`, 'aria-expanded': 'false', onclick: (e) => {
        detail.hidden = !detail.hidden;
        e.currentTarget.setAttribute('aria-expanded', String(!detail.hidden));
      } },
      h('span', { class: 'first-line' }, m.first_line),
      h('span', { class: 'wire' }, `${m.transport.toUpperCase()} ${m.src} → ${m.dst}`),
    );
    const cells = m.leg === 'a' ? [arrow, h('div')] : [h('div'), arrow];
    return h(
      'div',
      { class: `ladder-item leg-${m.leg}` },
      h('div', { class: 'ladder-row' }, h('div', { class: 'mono small', title: m.time }, `+${((m.unix_us - t0) / 1000).toFixed(1)} ms`), ...cells),
      detail,
    );
  });
  replace(
    body,
    ladder.dropped ? banner('warning', `${ladder.dropped} message(s) not kept: the call used up its share of memory.`) : null,
    ladder.ended ? null : banner('info', 'The call is still up: reload for newer messages.'),
    captureCard(call, ladder, rerender),
    h(
      'section',
      { class: 'card ladder', 'aria-label': 'SIP ladder' },
      h('p', { class: 'small muted' }, 'Leg A Call-ID ', h('code', {}, ids.a || ''), ' · leg B Call-ID ', h('code', {}, ids.b || '')),
      head,
      rows.length ? rows : h('p', { class: 'empty' }, 'No messages.'),
    ),
  );
}
