// The banned-addresses table shared by the dashboard and the access-control page: each
// address with the time its ban has left and an Unban button (DELETE /api/bans/ADDRESS).

import { api } from './api.js';
import { h, replace, table, toast, duration } from './ui.js';

/**
 * Draws `list` (from GET /api/bans or the live status) into the section `el` under the
 * heading `title`; `after` (optional, async) runs after a successful unban.
 */
export function drawBans(el, list, { title, empty, after = null }) {
  const rows = list.map((b) => [
    h('span', { class: 'mono' }, b.address),
    duration(b.expires_in),
    h(
      'button',
      {
        type: 'button',
        class: 'small',
        'aria-label': `Unban ${b.address}`,
        onclick: async () => {
          try {
            await api('DELETE', `/api/bans/${encodeURIComponent(b.address)}`);
            toast(`${b.address} unbanned`);
            if (after) await after();
          } catch (err) {
            toast(err.message, 'error');
          }
        },
      },
      'Unban',
    ),
  ]);
  replace(
    el,
    h('h2', { id: 'bans-h' }, `${title} `, h('span', { class: 'count' }, String(list.length))),
    table(['Address', 'Expires in', ''], rows, empty, title),
  );
}
