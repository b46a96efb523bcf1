// Shared by every console page: who is signed in, the header (navigation by
// role, the watch-alert count, sign-out) and `api`, the one way pages call
// the console's JSON API (it sends the session's CSRF token on every change).
let me = null;

export async function currentStaff() {
  if (me) return me;
  const response = await fetch('/api/me', {credentials: 'same-origin'});
  if (response.status === 401) {
    window.location.assign('/signin');
    throw new Error('signed out');
  }
  me = await response.json();
  return me;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Calls the API: GET without a body, anything else with a JSON body and the
// CSRF token. Resolves to the parsed JSON; rejects with ApiError carrying
// the server's message.
export async function api(method, path, body) {
  const staff = await currentStaff();
  const init = {method, credentials: 'same-origin', headers: {}};
  if (method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    init.headers['X-CSRF-Token'] = staff.csrf;
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    window.location.assign('/signin');
    throw new ApiError(401, 'signed out');
  }
  const type = response.headers.get('Content-Type') || '';
  if (!response.ok) {
    const err = type.includes('json') ? await response.json().catch(() => ({})) : {};
    throw new ApiError(response.status, err.error || `${response.status} ${response.statusText}`);
  }
  return type.includes('json') && !response.headers.get('Content-Disposition')
    ? response.json() : response.blob();
}

// Saves a Blob as a file.
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// A new element with text and attributes: el('td', {class: 'x'}, 'text').
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function formatTime(unixSeconds) {
  if (!unixSeconds) return '';
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

// Pages of the console by role; other parts of the console add theirs
// here (the operations pages: admin, dpo, hub).
const PAGES = [
  {path: '/analyst', label: 'Analyst', role: 'analyst'},
  {path: '/approver', label: 'Approver', role: 'approver'},
  {path: '/admin', label: 'Administration', role: 'admin'},
  {path: '/dpo', label: 'Data protection', role: 'dpo'},
  {path: '/hub', label: 'Hub', role: 'hub-operator'},
];

// Fills the page's <header id="top">: title, navigation, alert count (for
// analysts, refreshed every `pollMs`) and the person with a sign-out button.
export async function setupHeader({pollMs = 5000} = {}) {
  const staff = await currentStaff();
  const header = document.getElementById('top');
  header.replaceChildren();
  header.append(el('span', {class: 'brand'}, staff.title ? `ifed · ${staff.title}` : 'ifed console'));
  const nav = el('nav', {'aria-label': 'Pages'});
  for (const page of PAGES) {
    if (!staff.roles.includes(page.role)) continue;
    const current = window.location.pathname === page.path;
    nav.append(el('a', {href: page.path, 'aria-current': current ? 'page' : false}, page.label));
  }
  header.append(nav);
  const right = el('span', {class: 'who'});
  if (staff.roles.includes('analyst')) {
    const badge = el('a', {id: 'alert-count', href: '/analyst#alerts', class: 'badge',
      'aria-live': 'polite', title: 'Watch alerts since you signed in'}, '0');
    right.append(el('span', {class: 'badge-label'}, 'Alerts '), badge, ' ');
    const since = Number(sessionStorage.getItem('ifed-alerts-since') || Date.now());
    sessionStorage.setItem('ifed-alerts-since', String(since));
    const refresh = async () => {
      try {
        const r = await api('GET', `/api/alerts?since=${since}`);
        badge.textContent = String(r.count);
        badge.classList.toggle('hot', r.count > 0);
        document.dispatchEvent(new CustomEvent('ifed-alerts', {detail: r}));
      } catch (e) {
        badge.textContent = '?';
      }
    };
    refresh();
    setInterval(refresh, pollMs);
  }
  right.append(el('span', {id: 'who-name'}, `${staff.name} (${staff.roles.join(', ')})`), ' ');
  const out = el('button', {id: 'signout', type: 'button'}, 'Sign out');
  out.addEventListener('click', async () => {
    await api('POST', '/api/signout', {}).catch(() => {});
    sessionStorage.clear();
    window.location.assign('/signin');
  });
  right.append(out);
  header.append(right);
  return staff;
}

// Shows `message` in the status line `id` (role=status/alert in the HTML).
export function say(id, message, isError = false) {
  const line = document.getElementById(id);
  line.textContent = message;
  line.classList.toggle('error', isError);
}
