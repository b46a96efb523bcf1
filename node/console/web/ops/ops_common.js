// Shared helpers of the operations pages (administrator, DPO, hub operator):
// JSON calls with the session's CSRF token, small DOM builders, formatting.
// No inline script or style anywhere (the console's CSP forbids both).

let csrfToken = null;

// The session's CSRF token (sent on every state-changing request).
async function csrf() {
  if (csrfToken === null) {
    const r = await fetch('/api/session', {credentials: 'same-origin'});
    if (!r.ok) throw new Error('not signed in');
    csrfToken = (await r.json()).csrf || '';
  }
  return csrfToken;
}

// Calls the console API; resolves to the JSON answer, rejects with the
// server's error message.
export async function api(path, {method = 'GET', body = null, raw = false, text = false} = {}) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = await csrf();
  if (body !== null && !text) headers['Content-Type'] = 'application/json';
  if (text) headers['Content-Type'] = 'application/x-ndjson';
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === null ? undefined : (text ? body : JSON.stringify(body)),
  });
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return raw ? r : r.json();
}

// el('td', {class: 'x'}, 'text', child...)
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// Fills `container` with a table: columns [{key, label, render?}], rows of objects.
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

// A status line for screen readers and eyes (role=status / alert).
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

// datetime-local input value -> unix ms ('' -> 0); interpreted as UTC.
export function inputMs(input) {
  if (!input.value) return 0;
  return Date.parse(input.value + (input.value.length <= 16 ? ':00Z' : 'Z'));
}

export function days(untilSecs) {
  const d = (num(untilSecs) * 1000 - Date.now()) / 86400000;
  return Math.floor(d);
}

// Wires a form's submit (button or Enter) to `fn`, reporting errors to `out`.
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

// Colours for partners in plots (distinct, colour-blind friendly).
export const palette = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00',
                        '#f0e442', '#000000'];
