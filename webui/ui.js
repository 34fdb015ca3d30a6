// Small DOM helpers shared by the pages: element builder, toasts, confirmation dialogs,
// field-error display (mapping the API's config key paths to form inputs) and formatting.

/**
 * Builds an element: h('button', {class: 'primary', onclick: fn}, 'Save').
 * Attributes starting with "on" become listeners; `null`/`false` attributes are skipped;
 * children may be strings, nodes, arrays or null.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'value') {
      el.value = value;
    } else if (key === 'checked' || key === 'selected' || key === 'disabled') {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

let uid = 0;
/** A unique element id (for label/input pairs). */
export function nextId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * A labelled form field: label, control, hint and a slot for the field's error.
 * `key` names the config key (e.g. "peers"); `control` is an input/select/textarea.
 */
export function field(label, control, { key = null, hint = null } = {}) {
  const id = control.id || nextId();
  control.id = id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  if (key) control.dataset.key = key;
  return h(
    'div',
    { class: 'field', 'data-key': key },
    h('label', { for: id }, label),
    control,
    hint ? h('div', { class: 'hint', id: hintId }, hint) : null,
    h('div', { class: 'field-error', id: errorId, role: 'alert' }),
  );
}

/** Removes every field error inside `form`. */
export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('.field.invalid')) el.classList.remove('invalid');
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Shows `message` next to the input for the config key path `path`
 * (`trunk[2].peers[0]` -> the field with data-key "peers"; `trunk[0].register.user` ->
 * "register.user"). Returns false when no field matches (the caller shows it elsewhere).
 */
export function showFieldError(form, path, message) {
  if (!path) return false;
  const local = path
    .replace(/^[a-z_]+\[\d+\]\.?/, '') // the table and its index: trunk[2].
    .replace(/\[\d+\]/g, ''); // list indices: peers[0] -> peers
  const candidates = [local, local.split('.')[0]];
  for (const key of candidates) {
    if (!key) continue;
    const wrap = form.querySelector(`.field[data-key="${CSS.escape(key)}"]`);
    if (!wrap) continue;
    wrap.classList.add('invalid');
    const index = /\[(\d+)\]/.exec(path.replace(/^[a-z_]+\[\d+\]/, ''));
    const where = index ? ` (entry ${Number(index[1]) + 1})` : '';
    wrap.querySelector('.field-error').textContent = message + where;
    const control = wrap.querySelector('input, select, textarea');
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      control.focus();
    }
    return true;
  }
  return false;
}

/** A banner (error/warning/info) with optional action buttons. */
export function banner(kind, message, ...actions) {
  return h(
    'div',
    { class: `banner ${kind}`, role: kind.includes('error') ? 'alert' : 'status' },
    h('span', {}, message),
    actions.length ? h('span', { class: 'banner-actions' }, actions) : null,
  );
}

/** A short-lived notification in the corner. */
export function toast(message, kind = 'ok') {
  let host = document.getElementById('toasts');
  if (!host) {
    host = h('div', { id: 'toasts', 'aria-live': 'polite' });
    document.body.append(host);
  }
  const el = h('div', { class: `toast ${kind}`, role: 'status' }, message);
  host.append(el);
  setTimeout(() => el.remove(), kind === 'error' || kind === 'warn' ? 8000 : 3500);
}

/** Asks a yes/no question in a modal dialog; resolves to true on confirm. */
export function confirmDialog(title, message, confirmLabel = 'Delete', danger = true) {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'modal', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', {}, message),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', value: 'cancel', onclick: () => dialog.close('cancel') }, 'Cancel'),
        h(
          'button',
          { type: 'button', class: danger ? 'danger' : 'primary', onclick: () => dialog.close('ok') },
          confirmLabel,
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A status pill: pill('up', 'Up'). */
export function pill(kind, text) {
  return h('span', { class: `pill ${kind}` }, text);
}

/** 3725 -> "1h 02m"; 65 -> "1m 05s". */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n) => String(n).padStart(2, '0');
  if (d) return `${d}d ${hr}h`;
  if (hr) return `${hr}h ${pad(m)}m`;
  if (m) return `${m}m ${pad(sec)}s`;
  return `${sec}s`;
}

/** 1234567 -> "1.2 M". */
export function count(n) {
  const v = Number(n) || 0;
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)} G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)} M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return String(v);
}

/** A table with a header row; `rows` are arrays of cells; `empty` shown when there are none. */
export function table(headers, rows, empty = 'Nothing here yet.', label = null) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { 'aria-label': label },
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))
          : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, empty)),
      ),
    ),
  );
}

/** A page header: title, subtitle and action buttons. */
export function pageHeader(title, subtitle, ...actions) {
  return h(
    'header',
    { class: 'page-header' },
    h('div', {}, h('h1', {}, title), subtitle ? h('p', { class: 'subtitle' }, subtitle) : null),
    h('div', { class: 'page-actions' }, actions),
  );
}

/** Splits a textarea/comma list into trimmed non-empty entries. */
export function lines(text) {
  return String(text || '')
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
