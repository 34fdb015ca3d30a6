// The edit dialog shared by the config pages (trunks, routes, realms, certificates):
// a modal form whose submit runs `save(values)` and turns API errors into something the
// operator can act on:
// * 422: the message next to the field the config key path points to (or above the form);
// * 409: someone else changed the configuration: a banner offering to reload;
// * 413: the upload is too large; anything else: the server's message above the form.

import { h, banner, clearFieldErrors, showFieldError } from './ui.js';

/**
 * Opens the dialog. `fields` are nodes built with ui.field(); `save(form)` performs the
 * request (throws ApiError on failure); `onConflict()` reloads the page's data.
 * Resolves to true when saved, false when cancelled.
 */
export function openEditor({ title, fields, submitLabel = 'Save', save, onConflict }) {
  return new Promise((resolve) => {
    const messages = h('div', { class: 'form-messages' });
    const submit = h('button', { type: 'submit', class: 'primary' }, submitLabel);
    const form = h(
      'form',
      { class: 'editor', novalidate: true },
      h('h2', { id: 'editor-title' }, title),
      messages,
      h('div', { class: 'form-grid' }, fields),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: () => dialog.close('cancel') }, 'Cancel'),
        submit,
      ),
    );
    const dialog = h('dialog', { class: 'modal wide', 'aria-labelledby': 'editor-title' }, form);
    let saved = false;

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      messages.replaceChildren();
      submit.disabled = true;
      submit.textContent = 'Saving…';
      try {
        await save(form);
        saved = true;
        dialog.close('ok');
      } catch (err) {
        showError(err);
      } finally {
        submit.disabled = false;
        submit.textContent = submitLabel;
      }
    });

    function showError(err) {
      // The dialog may be scrolled down to the buttons: bring a message banner into view.
      const reveal = () => requestAnimationFrame(() => messages.scrollIntoView({ block: 'nearest' }));
      if (err.status === 409) {
        const reload = h(
          'button',
          {
            type: 'button',
            onclick: async () => {
              dialog.close('cancel');
              if (onConflict) await onConflict();
            },
          },
          'Reload',
        );
        messages.append(
          banner(
            'warning',
            'Someone else changed the configuration since you opened this form. Reload to see the current version, then make your change again.',
            reload,
          ),
        );
        reveal();
        return;
      }
      if (err.status === 422 && showFieldError(form, err.field, err.message)) return;
      const where = err.field ? ` (${err.field})` : '';
      const text = err.status === 413 ? `Too large: ${err.message}` : err.message + where;
      messages.append(banner('error', text));
      reveal();
    }

    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(saved);
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = form.querySelector('input, select, textarea');
    if (first) first.focus();
  });
}

/** Reads a form control by its data-key: trimmed string, or '' when absent. */
export function valueOf(form, key) {
  const el = form.querySelector(`[data-key="${CSS.escape(key)}"]:is(input, select, textarea)`);
  if (!el) return '';
  if (el.type === 'checkbox') return el.checked;
  return el.value.trim();
}

/** Sets `obj[key]` to the integer in `text` when it is non-empty (else leaves it out). */
export function optionalInt(obj, key, text) {
  if (text === '' || text === null || text === undefined) return;
  const n = Number(text);
  obj[key] = Number.isFinite(n) ? n : text;
}
