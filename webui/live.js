// Live updates: one EventSource on /api/events for the whole app. The server sends a `status`
// event (the /api/status JSON) and a `calls` event (the /api/calls JSON) about every second.
// Pages subscribe to an event name and get the latest data at once and on every update;
// `onConnection` reports whether the stream is live (shown in the top bar).

import { api } from './api.js';

const RETRY_MS = 3000;
const listeners = new Map(); // event name -> Set of callbacks
const latest = new Map(); // event name -> last data
const connectionListeners = new Set();
let source = null;
let wanted = false; // between startLive() and stopLive()
let connected = false;

function setConnected(value) {
  if (connected === value) return;
  connected = value;
  for (const fn of connectionListeners) fn(value);
}

function deliver(name, data) {
  latest.set(name, data);
  for (const fn of listeners.get(name) || []) fn(data);
}

/**
 * Opens the stream (once). EventSource reconnects by itself after network errors, but gives up
 * on an HTTP error (e.g. 401 after the session expired): then the session is checked (a 401
 * there sends the operator to the login page) and the stream reopened a few seconds later.
 */
export function startLive() {
  wanted = true;
  if (source) return;
  const es = new EventSource('/api/events', { withCredentials: true });
  source = es;
  es.addEventListener('open', () => setConnected(true));
  es.addEventListener('error', () => {
    setConnected(false);
    if (es.readyState !== EventSource.CLOSED) return;
    setTimeout(async () => {
      if (source !== es || !wanted) return; // stopped or replaced meanwhile
      source = null;
      try {
        await api('GET', '/api/session');
      } catch {
        // 401: the app shows the login page and stops the stream (wanted = false).
      }
      if (wanted && source === null) startLive();
    }, RETRY_MS);
  });
  for (const name of ['status', 'calls']) {
    es.addEventListener(name, (event) => {
      setConnected(true);
      try {
        deliver(name, JSON.parse(event.data));
      } catch {
        // A malformed event is skipped; the next one replaces it.
      }
    });
  }
}

/** Closes the stream (logout). */
export function stopLive() {
  wanted = false;
  if (source) source.close();
  source = null;
  latest.clear();
  setConnected(false);
}

/** Calls `fn(data)` with the latest and every future `name` event; returns unsubscribe. */
export function subscribe(name, fn) {
  if (!listeners.has(name)) listeners.set(name, new Set());
  listeners.get(name).add(fn);
  if (latest.has(name)) fn(latest.get(name));
  return () => listeners.get(name).delete(fn);
}

/** Seeds an event's data from a plain GET (so a page is filled before the first event). */
export function seed(name, data) {
  if (!latest.has(name)) deliver(name, data);
}

/** Calls `fn(connected)` now and whenever the stream connects or drops; returns unsubscribe. */
export function onConnection(fn) {
  connectionListeners.add(fn);
  fn(connected);
  return () => connectionListeners.delete(fn);
}
