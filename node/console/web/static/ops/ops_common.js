// Shared helpers of the operations pages (administrator, DPO, hub operator)
// on top of the console's common.js (header, API calls with the CSRF token):
// tables, status lines, formatting. No inline script or style anywhere (the
// console's CSP forbids both).
import {api as consoleApi, download, el} from '../common.js';

export {download, el};

// GET (no body) or POST (JSON body) to the console API.
export function api(path, {method = 'GET', body = null} = {}) {
  return consoleApi(method, path, method === 'GET' ? undefined : (body ?? {}));
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// Fills `container` with a table: columns [{key | render, label, cls?}].
export function table(container, caption, columns, rows, empty = 'nothing to show') {
  clear(container);
  if (!rows.length) {
    container.append(el('p', {class: 'empty'}, empty));
    return;
  }
  const head = el('tr', {}, ...columns.map(c => el('th', {scope: 'col'}, c.label)));
  const body = rows.map(r => el('tr', {}, ...columns.map(c => {
    const v = c.render ? c.render(r) : r[c.key];
    return el('td', {class: c.cls ? c.cls(r) : null}, v === undefined ? '' : v);
  })));
  container.append(el('table', {}, el('caption', {}, caption), el('thead', {}, head),
                      el('tbody', {}, ...body)));
}

// A status line (role=status in the HTML): text and its kind (info, ok, error).
export function say(node, text, kind = 'info') {
  node.textContent = text;
  node.className = `status ${kind}`;
}

export const num = v => Number(v || 0);

export function fmtTime(ms) {
  const n = num(ms);
  if (!n) return '—';
  return new Date(n).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export const fmtSecs = s => fmtTime(num(s) * 1000);

// datetime-local input value -> unix ms ('' -> 0), read as UTC.
export function inputMs(input) {
  if (!input.value) return 0;
  return Date.parse(input.value + (input.value.length <= 16 ? ':00Z' : 'Z'));
}

export function days(untilSecs) {
  return Math.floor((num(untilSecs) * 1000 - Date.now()) / 86400000);
}

// Runs `fn` on the form's submit (button or Enter), errors to `out`.
export function onSubmit(form, out, fn) {
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      await fn();
    } catch (e) {
      say(out, e.message, 'error');
    }
  });
}

// `fn` as a click handler, errors to `out`.
export function guard(fn, out) {
  return () => fn().catch(e => say(out, e.message, 'error'));
}

// Colours for partners in plots (Okabe-Ito: colour-blind friendly).
export const palette = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00',
                        '#f0e442', '#000000'];
