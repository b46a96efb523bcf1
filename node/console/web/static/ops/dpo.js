// DPO page: chain verification with progress, audit search (time, actor,
// action, outcome, peer) with paging, retention/erasure preset, JSONL
// export, reconciliation against a partner's export.
import {setupHeader} from '../common.js';
import {api, download, el, table, say, num, fmtTime, inputMs, onSubmit, guard, clear} from './ops_common.js';

const $ = id => document.getElementById(id);
let cursor = 0;
let lastQuery = null;
let rows = [];

function query() {
  const q = new URLSearchParams();
  const since = inputMs($('s-since')), until = inputMs($('s-until'));
  if (since) q.set('since_ms', since);
  if (until) q.set('until_ms', until);
  for (const [k, id] of [['actor', 's-actor'], ['action', 's-action'], ['outcome', 's-outcome'], ['peer', 's-peer']]) {
    if ($(id).value.trim()) q.set(k, $(id).value.trim());
  }
  return q;
}

// The fields of an event beyond the common ones, as "k=v" text.
function details(ev) {
  const skip = new Set(['seq', 'prev', 'ts_ms', 'node', 'action', 'actor', 'outcome', 'peer']);
  return Object.entries(ev).filter(([k]) => !skip.has(k)).map(([k, v]) => `${k}=${v}`).join(' ');
}

function render() {
  table($('search-out'), 'Audit events', [
    {label: 'Seq', key: 'seq'}, {label: 'Time (UTC)', render: e => fmtTime(e.ts_ms)},
    {label: 'Action', key: 'action'}, {label: 'Actor', key: 'actor'},
    {label: 'Outcome', key: 'outcome', cls: e => e.outcome === 'ok' ? 'ok' : 'bad'},
    {label: 'Peer', key: 'peer'}, {label: 'Details', render: details, cls: () => 'details'},
  ], rows, 'no event matches');
}

async function search(more = false) {
  if (!more) {
    lastQuery = query();
    cursor = 0;
    rows = [];
  }
  const q = new URLSearchParams(lastQuery);
  q.set('limit', '100');
  if (cursor) q.set('after_seq', cursor);
  const r = await api(`/api/ops/audit?${q}`);
  rows.push(...(r.events || []).map(l => JSON.parse(l)));
  cursor = num(r.next_after_seq);
  $('more').hidden = cursor === 0;
  render();
  say($('search-status'), `${rows.length} event(s) shown; log head at seq ${num(r.head_seq)}`);
}

async function retention() {
  for (const id of ['s-actor', 's-peer', 's-outcome']) $(id).value = '';
  // Erasures by staff, and the node's own expiry sweeps.
  $('s-action').value = 'erase';
  await search();
  const erased = rows;
  $('s-action').value = 'expire';
  await search();
  rows = [...erased, ...rows].sort((a, b) => a.seq - b.seq);
  $('more').hidden = true;
  render();
  say($('search-status'), `${rows.length} retention and erasure event(s)`);
}

async function exportJsonl() {
  const q = new URLSearchParams();
  const since = inputMs($('s-since')), until = inputMs($('s-until'));
  if (since) q.set('since_ms', since);
  if (until) q.set('until_ms', until);
  const blob = await api(`/api/ops/audit/export?${q}`);
  download(blob, 'audit-export.jsonl');
  say($('search-status'), `export downloaded (${blob.size} bytes)`, 'ok');
}

async function verify() {
  $('verify').disabled = true;
  const bar = $('verify-progress');
  try {
    let job = await api('/api/ops/audit/verify', {method: 'POST', body: {}});
    bar.hidden = false;
    while (job.state === 'running') {
      bar.max = Math.max(1, num(job.total));
      bar.value = num(job.done);
      say($('verify-result'), `verifying: ${num(job.done)} of ${num(job.total)} events`);
      await new Promise(res => setTimeout(res, 300));
      job = await api(`/api/ops/audit/verify?job_id=${encodeURIComponent(job.job_id)}`);
    }
    bar.value = bar.max;
    if (job.state === 'ok') {
      say($('verify-result'), `Chain intact: ${num(job.events)} events, ${num(job.checkpoints)} signed checkpoints, ` +
          `last signed head seq ${num(job.last_signed_seq)}` +
          (num(job.cert_changes) ? `, ${num(job.cert_changes)} certificate renewal(s) followed` : '') + '.', 'ok');
    } else {
      say($('verify-result'), `Chain BROKEN at seq ${num(job.first_bad_seq)}: ${job.error}`, 'error');
    }
  } finally {
    $('verify').disabled = false;
  }
}

async function reconcile() {
  const file = $('rec-file').files[0];
  clear($('rec-out'));
  const lines = (await file.text()).split('\n').map(l => l.replace(/\r$/, '')).filter(l => l);
  const r = await api('/api/ops/audit/reconcile', {method: 'POST', body: {their_lines: lines}});
  const diffs = r.differences || [];
  for (const d of diffs) $('rec-out').append(el('li', {}, d));
  say($('rec-status'), diffs.length
    ? `${diffs.length} difference(s) between ${r.ours} and ${r.theirs} (${num(r.compared)} consultations compared)`
    : `consistent: ${r.ours} and ${r.theirs} agree on ${num(r.compared)} consultation(s)`,
      diffs.length ? 'error' : 'ok');
}

document.addEventListener('DOMContentLoaded', async () => {
  await setupHeader();
  $('verify').addEventListener('click', guard(verify, $('verify-result')));
  onSubmit($('search-form'), $('search-status'), () => search(false));
  $('more').addEventListener('click', guard(() => search(true), $('search-status')));
  $('preset-retention').addEventListener('click', guard(retention, $('search-status')));
  $('export').addEventListener('click', guard(exportJsonl, $('search-status')));
  onSubmit($('rec-form'), $('rec-status'), reconcile);
  await guard(() => search(false), $('search-status'))();
  document.body.dataset.ready = 'true';
});
