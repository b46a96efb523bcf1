// The analyst page: match, export, follow-ups, trace, watches, alerts.
import {api, download, el, formatTime, say, setupHeader} from './common.js';

const PURPOSES = ['migrant_smuggling', 'trafficking_in_human_beings', 'document_fraud',
  'terrorism', 'drug_trafficking', 'cybercrime', 'money_laundering', 'organised_property_crime'];
const TYPES = ['phone', 'handle', 'url', 'email', 'iban', 'crypto', 'imei'];

let results = [];  // the rows of the last match, as the server sent them.
let sortKey = 'verdict';
let sortDescending = true;

function fillSelects() {
  for (const select of document.querySelectorAll('select.purpose')) {
    select.replaceChildren(...PURPOSES.map((p) => el('option', {value: p}, p.replaceAll('_', ' '))));
  }
  for (const select of document.querySelectorAll('select.type')) {
    select.replaceChildren(...TYPES.map((t) => el('option', {value: t}, t)));
  }
}

async function loadPeers() {
  const {peers} = await api('GET', '/api/peers');
  for (const [box, prefix] of [['match-peers', 'match-peer'], ['watch-peers', 'watch-peer']]) {
    const holder = document.getElementById(box);
    holder.replaceChildren(...peers.map((p) => el('label', {class: 'inline'},
      el('input', {type: 'checkbox', value: p, id: `${prefix}-${p}`}), ` ${p}`)));
  }
}

// The target part of a form: {target, peers, jurisdictions}.
function targetOf(prefix) {
  const target = document.querySelector(`input[name="${prefix}-target"]:checked`).value;
  const peers = [...document.querySelectorAll(`#${prefix}-peers input:checked`)].map((i) => i.value);
  const field = document.getElementById(`${prefix}-jurisdictions`);
  const jurisdictions = field ? field.value.split(/[\s,]+/).filter(Boolean) : [];
  return {target, peers, jurisdictions};
}

function compare(a, b) {
  const x = a[sortKey] ?? '';
  const y = b[sortKey] ?? '';
  if (sortKey === 'verdict' && x !== y) return x === 'HIT' ? -1 : 1;
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x).localeCompare(String(y));
}

function renderResults() {
  const onlyHits = document.getElementById('hits-only').checked;
  const rows = results.filter((r) => !onlyHits || r.verdict === 'HIT');
  rows.sort((a, b) => (sortDescending === (sortKey === 'verdict') ? compare(a, b) : -compare(a, b))
    || (a.peer.localeCompare(b.peer)) || (a.item - b.item));
  const body = document.querySelector('#match-table tbody');
  body.replaceChildren(...rows.map((r) => {
    const hit = r.verdict === 'HIT';
    const follow = hit && r.reference
      ? el('button', {type: 'button', class: 'small follow', 'data-peer': r.peer,
          'data-reference': r.reference}, 'Follow up')
      : '';
    const verdict = r.derived ? `HIT (derived ${r.form_type})` : r.verdict;
    return el('tr', {class: hit ? 'hit' : 'nohit'},
      el('td', {}, verdict), el('td', {}, r.via ? `${r.peer} (via ${r.via})` : r.peer),
      el('td', {}, r.item), el('td', {}, r.type), el('td', {class: 'value'}, r.value),
      el('td', {}, r.scheme), el('td', {class: 'ref'}, r.reference), el('td', {}, follow));
  }));
  for (const th of document.querySelectorAll('#match-table th[data-key]')) {
    th.setAttribute('aria-sort', th.dataset.key === sortKey
      ? (sortDescending ? 'descending' : 'ascending') : 'none');
  }
}

async function readCsvFile() {
  const file = document.getElementById('match-file').files[0];
  return file ? file.text() : '';
}

async function onMatch(event) {
  event.preventDefault();
  say('match-status', 'Asking…');
  const csv = await readCsvFile();
  const form = {
    ...targetOf('match'),
    purpose: document.getElementById('match-purpose').value,
    case: document.getElementById('match-case').value.trim(),
    type: document.getElementById('match-type').value,
    region: document.getElementById('match-region').value.trim().toUpperCase(),
    text: csv ? '' : document.getElementById('match-values').value,
    csv,
    resolve: document.getElementById('match-resolve').checked,
  };
  try {
    const r = await api('POST', '/api/match', form);
    results = r.rows;
    sortKey = 'verdict';
    sortDescending = true;
    document.getElementById('match-results').hidden = false;
    document.getElementById('match-summary').textContent =
      `${r.items} item(s) asked, ${r.hits} hit(s). Request ${r.request_id}.`;
    const errors = document.getElementById('match-errors');
    errors.replaceChildren(
      ...r.errors.map((e) => el('li', {}, `item ${e.item}: ${e.error}`)),
      ...r.peer_errors.map((e) => el('li', {}, `${e.peer}: ${e.message}`)));
    renderResults();
    say('match-status', r.hits > 0 ? `${r.hits} hit(s).` : 'No hits.');
  } catch (e) {
    say('match-status', e.message, true);
  }
}

async function onExport(format) {
  const onlyHits = document.getElementById('hits-only').checked;
  const rows = results.filter((r) => !onlyHits || r.verdict === 'HIT');
  try {
    const blob = await api('POST', '/api/match/export', {format, rows});
    download(blob, format === 'csv' ? 'ifed-match.csv' : 'ifed-match.stix.json');
    say('match-status', `Exported ${format.toUpperCase()}.`);
  } catch (e) {
    say('match-status', e.message, true);
  }
}

async function loadFollowUps(poll = false) {
  try {
    const {followups} = await api('GET', '/api/followups');
    const body = document.querySelector('#followups-table tbody');
    body.replaceChildren(...followups.map((f) => el('tr', {class: f.state.toLowerCase()},
      el('td', {}, f.id), el('td', {}, f.peer), el('td', {class: 'ref'}, f.reference),
      el('td', {class: 'state'}, f.state.replace('FOLLOW_UP_', '')),
      el('td', {}, f.reply || f.reason), el('td', {}, formatTime(f.deadline)))));
  } catch (e) {
    if (!poll) say('followup-status', e.message, true);
  }
}

async function onFollowUp(event) {
  event.preventDefault();
  const form = {
    peer: document.getElementById('followup-peer').value.trim(),
    reference: document.getElementById('followup-reference').value.trim(),
    purpose: document.getElementById('followup-purpose').value,
    legal_basis: document.getElementById('followup-basis').value.trim(),
    justification: document.getElementById('followup-justification').value.trim(),
  };
  try {
    const f = await api('POST', '/api/followups', form);
    say('followup-status', `Requested ${f.id} from ${f.peer}; the answer is due by ${formatTime(f.deadline)}.`);
    loadFollowUps();
  } catch (e) {
    say('followup-status', e.message, true);
  }
}

async function onTrace(event) {
  event.preventDefault();
  const out = document.getElementById('trace-result');
  out.replaceChildren();
  try {
    const {records} = await api('POST', '/api/trace',
      {reference: document.getElementById('trace-reference').value});
    say('trace-status', `${records.length} record(s).`);
    for (const r of records) {
      const dl = el('dl', {class: 'record'});
      for (const [k, v] of [['Record', r.record_id], ['Case', r.case], ['Type', r.type],
        ['TLP', r.tlp], ['Crime area', r.crime_area], ['First seen', r.first_seen],
        ['Last seen', r.last_seen], ['Expires', r.expires], ['Hold', r.hold ? 'yes' : 'no']]) {
        dl.append(el('dt', {}, k), el('dd', {}, v));
      }
      for (const p of r.posts) {
        dl.append(el('dt', {}, 'Post'), el('dd', {class: 'post'},
          `${p.post_url} (by ${p.author || '?'}, posted ${p.posted_at || '?'}, captured ${p.captured_at})`));
      }
      out.append(dl);
    }
  } catch (e) {
    say('trace-status', e.message, true);
  }
}

async function loadWatches() {
  const {watches} = await api('GET', '/api/watches');
  const body = document.querySelector('#watches-table tbody');
  body.replaceChildren(...watches.map((w) => {
    const remove = el('button', {type: 'button', class: 'small remove', 'data-watch': w.watch_id,
      'data-peer': w.peer, 'aria-label': `Remove watch ${w.watch_id} at ${w.peer}`}, 'Remove');
    return el('tr', {}, el('td', {}, w.watch_id), el('td', {}, w.peer), el('td', {}, w.types.join(' ')),
      el('td', {}, w.items), el('td', {}, w.state), el('td', {}, formatTime(w.until)), el('td', {}, remove));
  }));
}

async function onWatch(event) {
  event.preventDefault();
  const form = {
    ...targetOf('watch'),
    type: document.getElementById('watch-type').value,
    region: document.getElementById('watch-region').value.trim().toUpperCase(),
    purpose: document.getElementById('watch-purpose').value,
    text: document.getElementById('watch-values').value,
    until_days: Number(document.getElementById('watch-days').value || 90),
  };
  try {
    const r = await api('POST', '/api/watches', form);
    const failed = r.peers.filter((p) => p.code !== 0);
    say('watch-status', failed.length
      ? `Refused by ${failed.map((p) => `${p.peer}: ${p.message}`).join('; ')}`
      : `Watch held by ${r.peers.map((p) => p.peer).join(', ')}.`, failed.length > 0);
    loadWatches();
  } catch (e) {
    say('watch-status', e.message, true);
  }
}

async function onRemoveWatch(button) {
  try {
    await api('POST', '/api/watches/remove', {watch_id: button.dataset.watch, peers: [button.dataset.peer]});
    say('watch-status', `Watch ${button.dataset.watch} removed.`);
    loadWatches();
  } catch (e) {
    say('watch-status', e.message, true);
  }
}

function renderAlerts(event) {
  const body = document.querySelector('#alerts-table tbody');
  body.replaceChildren(...event.detail.alerts.map((a) => el('tr', {class: a.kind.toLowerCase()},
    el('td', {}, formatTime(Math.floor(a.received_ms / 1000))), el('td', {}, a.peer),
    el('td', {}, a.kind.replace('WATCH_', '')), el('td', {}, a.type), el('td', {class: 'ref'}, a.reference),
    el('td', {}, a.watch_id))));
}

async function main() {
  fillSelects();
  document.addEventListener('ifed-alerts', renderAlerts);
  await setupHeader({pollMs: 3000});
  document.getElementById('match-form').addEventListener('submit', onMatch);
  document.getElementById('hits-only').addEventListener('change', renderResults);
  document.getElementById('export-csv').addEventListener('click', () => onExport('csv'));
  document.getElementById('export-stix').addEventListener('click', () => onExport('stix'));
  for (const th of document.querySelectorAll('#match-table th[data-key] button')) {
    th.addEventListener('click', () => {
      const key = th.parentElement.dataset.key;
      sortDescending = key === sortKey ? !sortDescending : key === 'verdict';
      sortKey = key;
      renderResults();
    });
  }
  document.querySelector('#match-table tbody').addEventListener('click', (event) => {
    const button = event.target.closest('button.follow');
    if (!button) return;
    document.getElementById('followup-peer').value = button.dataset.peer;
    document.getElementById('followup-reference').value = button.dataset.reference;
    document.getElementById('followup-basis').focus();
  });
  document.getElementById('followup-form').addEventListener('submit', onFollowUp);
  document.getElementById('followups-refresh').addEventListener('click', () => loadFollowUps());
  document.getElementById('trace-form').addEventListener('submit', onTrace);
  document.getElementById('watch-form').addEventListener('submit', onWatch);
  document.querySelector('#watches-table tbody').addEventListener('click', (event) => {
    const button = event.target.closest('button.remove');
    if (button) onRemoveWatch(button);
  });
  await Promise.all([loadPeers(), loadWatches(), loadFollowUps()]);
  setInterval(() => loadFollowUps(true), 5000);
  document.body.dataset.ready = 'true';
}

main();
