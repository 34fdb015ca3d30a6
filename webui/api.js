// The REST client of the web UI: one `api()` for every call to /api/...
//
// * Sends and parses JSON (or text for the TOML config), with the session cookie.
// * Every state-changing request carries `X-CSRF-Token` (the token from login/session).
// * Config resources: remembers the `ETag` of the last GET per collection and sends it back as
//   `If-Match` on writes, so a stale write gets 409 instead of overwriting someone else's change.
// * Errors become `ApiError` with the HTTP status, the server's message, the config key path
//   (`field`, e.g. `trunk[2].peers[0]`), `retryAfter` (seconds, on 429) and `version` (on 409).
// * A 401 anywhere except login/setup fires `sbc:unauthorized` on window (the app shows login).
// * A config write is applied by the daemon before it is saved: an error means nothing changed.
//   Settings the daemon reads only at start (management.listen, firewall.enabled, listeners,
//   TLS files ...) are saved and named in the `Sbc-Restart-Required` answer header; every
//   successful config write fires `sbc:restart-required` on window with `detail.keys` (the keys
//   still waiting for a restart, empty when none), for the app's "restart pending" notice.

let csrf = null;
const etags = new Map();

export class ApiError extends Error {
  constructor(status, body, headers) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.field = body && body.field ? body.field : null;
    this.version = body && body.version !== undefined ? body.version : null;
    const retry = headers ? Number(headers.get('Retry-After')) : NaN;
    this.retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  }
}

/** Paths whose writes change the configuration (answers carry the restart note). */
const CONFIG_WRITES = ['/api/trunks', '/api/routes', '/api/realms', '/api/acl', '/api/config', '/api/certificates'];

/** The keys an answer names as waiting for a restart. */
export function restartKeys(headers) {
  const value = headers.get('Sbc-Restart-Required') || '';
  return value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}

export function setCsrf(token) {
  csrf = token || null;
}

/** The collection an API path belongs to, for ETag bookkeeping: /api/trunks/x -> /api/trunks. */
function resourceOf(path) {
  const parts = path.split('?')[0].split('/').filter(Boolean);
  return '/' + parts.slice(0, 2).join('/');
}

export function etagFor(path) {
  return etags.get(resourceOf(path)) || null;
}

export function forgetEtags() {
  etags.clear();
}

/**
 * Calls the API. `opts`: `body` (object -> JSON, string -> text/plain, Blob/File -> sent as
 * application/octet-stream), `raw` (return the
 * Response's text instead of parsing JSON), `ifMatch` (override the remembered ETag).
 */
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (opts.body !== undefined) {
    if (opts.body instanceof Blob) {
      headers['Content-Type'] = 'application/octet-stream';
      init.body = opts.body;
    } else if (typeof opts.body === 'string') {
      headers['Content-Type'] = 'text/plain; charset=utf-8';
      init.body = opts.body;
    } else {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
  }
  const writes = method !== 'GET' && method !== 'HEAD';
  const publicPath = path === '/api/setup' || path === '/api/login';
  if (writes && !publicPath && csrf) headers['X-CSRF-Token'] = csrf;
  if (writes) {
    const tag = opts.ifMatch !== undefined ? opts.ifMatch : etagFor(path);
    if (tag) headers['If-Match'] = tag;
  }

  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: `The SBC did not answer (${e.message}). Is it running?` });
  }
  const tag = res.headers.get('ETag');
  if (tag) etags.set(resourceOf(path), tag);

  if (!res.ok) {
    let body = null;
    const text = await res.text();
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: text.trim() || res.statusText || `HTTP ${res.status}` };
    }
    const err = new ApiError(res.status, body, res.headers);
    if (res.status === 401 && !publicPath) {
      window.dispatchEvent(new CustomEvent('sbc:unauthorized'));
    }
    throw err;
  }
  if (writes && CONFIG_WRITES.includes(resourceOf(path))) {
    const keys = restartKeys(res.headers);
    // An upload of an unused certificate says nothing about what is pending.
    if (keys.length || resourceOf(path) !== '/api/certificates') {
      window.dispatchEvent(new CustomEvent('sbc:restart-required', { detail: { keys } }));
    }
  }
  if (res.status === 204) return null;
  if (opts.raw) return res.text();
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) return res.json();
  return res.text();
}
