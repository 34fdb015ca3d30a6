// Light and dark themes: follows prefers-color-scheme until the operator picks one with the
// toggle; the choice is kept in localStorage and applied as <html data-theme="...">.

const KEY = 'sbc-theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');

function stored() {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

/** The theme in effect: the stored choice, else the system's. */
export function currentTheme() {
  return stored() || (media.matches ? 'dark' : 'light');
}

/** Applies the theme in effect to the document. */
export function applyTheme() {
  document.documentElement.dataset.theme = currentTheme();
}

/** A button that switches between light and dark. */
export function themeToggle() {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'icon-button theme-toggle';
  const label = () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    button.setAttribute('aria-label', `Switch to ${next} theme`);
    button.title = `Switch to ${next} theme`;
    button.textContent = next === 'dark' ? '☾' : '☀';
  };
  button.addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    applyTheme();
    label();
  });
  media.addEventListener('change', () => {
    applyTheme();
    label();
  });
  label();
  return button;
}

applyTheme();
