// Administrator page: peers (health, latency, certificate expiry, quota),
// CRLs, activity plots, effective rules with file:line, explain, candidate
// policy diff and reload, key epochs, backups.
import {setupHeader} from '../common.js';
import {api, el, table, say, num, fmtTime, fmtSecs, days, onSubmit, guard, palette, clear} from './ops_common.js';

const $ = id => document.getElementById(id);
const charts = {};

async function loadPeers() {
  say($('peers-status'), 'checking peers…');
  const [peers, status] = await Promise.all([api('/api/ops/peers'), api('/api/ops/status')]);
  const quota = Object.fromEntries((status.quotas || []).map(q => [q.partner, q]));
  table($('peers-table'), 'Configured peers', [
    {label: 'Peer', key: 'id'},
    {label: 'Address', key: 'address'},
    {label: 'Health', render: p => p.health + (p.error ? ` (${p.error})` : ''),
     cls: p => p.health === 'SERVING' ? 'ok' : 'bad'},
    {label: 'Latency (ms)', key: 'latency_ms'},
    {label: 'Certificate expires', render: p => num(p.cert_not_after)
        ? `${fmtSecs(p.cert_not_after)} (${days(p.cert_not_after)} days)` : 'not known',
     cls: p => num(p.cert_not_after) && days(p.cert_not_after) < 14 ? 'bad' : null},
    {label: 'Last contact', render: p => fmtSecs(p.last_contact)},
    {label: 'Quota used today', render: p => quota[p.id] && num(quota[p.id].limit)
        ? `${num(quota[p.id].used_today)} / ${num(quota[p.id].limit)}` : 'no daily quota'},
    {label: 'Release', key: 'release'},
  ], peers.peers || [], 'no peers configured');
  table($('crl-table'), 'CRLs in the revocation directory', [
    {label: 'File', key: 'file'},
    {label: 'Issuer', key: 'issuer'},
    {label: 'Last update', render: c => fmtSecs(c.last_update)},
    {label: 'Next update', render: c => fmtSecs(c.next_update)},
    {label: 'Revoked', key: 'revoked'},
    {label: 'State', key: 'state', cls: c => c.state === 'fresh' ? 'ok' : 'bad'},
  ], status.crls || [], status.crl_dir ? 'no CRL in the directory' : 'no CRL directory configured');
  drawQuota(status.quotas || []);
  say($('peers-status'), `${(peers.peers || []).length} peer(s) checked at ${fmtTime(Date.now())}`);
}

function chart(id, config) {
  if (charts[id]) charts[id].destroy();
  if (typeof Chart === 'undefined') return;  // plots need Chart.js; the tables still work.
  charts[id] = new Chart($(id), config);
}

function drawQuota(quotas) {
  const q = quotas.filter(x => num(x.limit) > 0);
  chart('quota-chart', {
    type: 'bar',
    data: {
      labels: q.map(x => x.partner),
      datasets: [
        {label: 'used today', data: q.map(x => num(x.used_today)), backgroundColor: palette[0]},
        {label: 'daily limit', data: q.map(x => num(x.limit)), backgroundColor: palette[1]},
      ],
    },
    options: {animation: false, responsive: true, scales: {y: {beginAtZero: true}}},
  });
}

async function loadActivity() {
  const hours = Number($('activity-hours').value || 24);
  const bucket = Number($('activity-bucket').value || 60) * 60;
  const until = Date.now();
  const a = await api(`/api/ops/activity?since_ms=${until - hours * 3600000}&until_ms=${until}&bucket_s=${bucket}`);
  const since = num(a.since_ms), width = num(a.bucket_s) * 1000;
  const labels = [];
  for (let t = since; t <= num(a.until_ms); t += width) labels.push(fmtTime(t).slice(5, 16));
  const series = (p, f) => {
    const data = new Array(labels.length).fill(0);
    for (const pt of p.points || []) data[Math.round((num(pt.bucket_ms) - since) / width)] += f(pt);
    return data;
  };
  const partners = a.partners || [];
  const ds = (f, suffix, dash) => partners.map((p, i) => ({
    label: `${p.peer} ${suffix}`, data: series(p, f), borderColor: palette[i % palette.length],
    backgroundColor: palette[i % palette.length], borderDash: dash, tension: 0.2,
  }));
  const opts = {animation: false, responsive: true, scales: {y: {beginAtZero: true}}};
  chart('queries-chart', {type: 'line', data: {labels, datasets: [
    ...ds(pt => num(pt.queries_in), 'in', []), ...ds(pt => num(pt.queries_out), 'out', [6, 3])]},
    options: opts});
  chart('hits-chart', {type: 'line', data: {labels, datasets: [
    ...ds(pt => num(pt.hits_in), 'given', []), ...ds(pt => num(pt.hits_out), 'received', [6, 3])]},
    options: opts});
  // The same numbers as a table, for screen readers and copying.
  const rows = [];
  for (const p of partners) {
    for (const pt of p.points || []) rows.push({peer: p.peer, ...pt});
  }
  table($('activity-table'), 'Activity per partner and bucket', [
    {label: 'Partner', key: 'peer'},
    {label: 'Bucket start', render: r => fmtTime(r.bucket_ms)},
    {label: 'Queries in', key: 'queries_in'}, {label: 'Queries out', key: 'queries_out'},
    {label: 'Hits given', key: 'hits_in'}, {label: 'Hits received', key: 'hits_out'},
    {label: 'Refused', key: 'refused'},
  ], rows, 'no activity in this window');
  say($('activity-status'), `${partners.length} partner(s) active`);
}

async function loadRules() {
  const partner = $('rules-partner').value.trim();
  const r = await api(`/api/ops/policy/rules?partner=${encodeURIComponent(partner)}`);
  const out = clear($('rules-out'));
  for (const rule of r.rules || []) {
    const box = el('div', {class: 'rule'});
    out.append(box);
    box.append(el('h3', {}, `${rule.partner} (${rule.direction})`, rule.in_force ? '' : ' — not in force'));
    box.append(el('p', {}, `Rule at ${rule.source}`, rule.jurisdiction ? `, jurisdiction ${rule.jurisdiction}` : ''));
    const t = el('div');
    box.append(t);
    table(t, `Effective rule for ${rule.partner}, each field with where it was set`, [
      {label: 'Field', key: 'name'}, {label: 'Value', key: 'value'},
      {label: 'Set at', key: 'source', cls: f => f.source === 'built-in default' ? 'muted' : null},
    ], rule.fields || []);
  }
  say($('rules-status'), `policy ${r.version}: ${(r.rules || []).length} rule(s)`);
}

async function explain() {
  const f = new FormData($('explain-form'));
  const q = new URLSearchParams();
  for (const [k, v] of f.entries()) if (v !== '') q.set(k, v);
  const r = await api(`/api/ops/policy/explain?${q}`);
  $('explain-out').textContent = r.explanation;
  $('explain-out').className = r.allowed ? 'ok' : 'bad';
}

async function diff() {
  const files = [];
  for (const file of $('diff-files').files) files.push({name: file.name, text: await file.text()});
  clear($('diff-out'));
  const r = await api('/api/ops/policy/diff', {method: 'POST', body: {files}});
  const changes = r.changes || [];
  for (const c of changes) $('diff-out').append(el('li', {}, c));
  say($('diff-status'), changes.length
    ? `valid: ${changes.length} change(s) from ${r.current_version} to ${r.candidate_version}`
    : `valid: no partner gains or loses anything (${r.candidate_version})`, 'ok');
}

async function reload() {
  if (!window.confirm('Reload the policy directory on the node now?')) return;
  const r = await api('/api/ops/policy/reload', {method: 'POST', body: {}});
  say($('reload-status'), r.changed ? `policy ${r.version} now in force (${r.rules} rules)`
                                    : `unchanged: policy ${r.version}`, 'ok');
}

async function loadKeys() {
  const k = await api('/api/ops/keys');
  const out = clear($('keys-out'));
  out.append(el('p', {}, `Current epoch ${k.current_epoch}; key set: ${(k.epochs || []).join(', ')}; `,
                `indexed: ${(k.indexed_epochs || []).join(', ')}; ${num(k.records)} records.`));
  if (k.rotating) {
    out.append(el('p', {}, `Rotating to epoch ${k.rotation_epoch}: ${num(k.rotated)} of ${num(k.records)} records.`));
    $('keys-progress').hidden = false;
    $('keys-progress').max = Math.max(1, num(k.records));
    $('keys-progress').value = num(k.rotated);
    setTimeout(() => loadKeys().catch(() => {}), 2000);
  } else {
    $('keys-progress').hidden = true;
    if (num(k.rotation_ms)) out.append(el('p', {}, `Last rotation took ${num(k.rotation_ms)} ms.`));
  }
  if (k.last_error) out.append(el('p', {class: 'bad'}, `Last rotation failed: ${k.last_error}`));
}

async function loadBackups() {
  try {
    const r = await api('/api/ops/backups');
    if (r.configured === false) {
      say($('backup-status'), 'no backup directory is configured for the console (backup_dir)', 'error');
    }
    table($('backups-table'), 'Backups on the node', [
      {label: 'Id', key: 'backup_id'}, {label: 'Taken', render: b => fmtSecs(b.timestamp)},
      {label: 'Size (bytes)', key: 'size'}, {label: 'Files', key: 'files'},
    ], r.backups || [], 'no backup yet');
  } catch (e) {
    say($('backup-status'), e.message, 'error');
  }
}

async function createBackup() {
  say($('backup-status'), 'backing up…');
  const r = await api('/api/ops/backups', {method: 'POST', body: {}});
  say($('backup-status'), `backup ${r.backup_id} written and verified`, 'ok');
  await loadBackups();
}

document.addEventListener('DOMContentLoaded', async () => {
  await setupHeader();
  $('peers-refresh').addEventListener('click', guard(loadPeers, $('peers-status')));
  onSubmit($('activity-form'), $('activity-status'), loadActivity);
  onSubmit($('rules-form'), $('rules-status'), loadRules);
  onSubmit($('explain-form'), $('explain-out'), explain);
  onSubmit($('diff-form'), $('diff-status'), diff);
  $('reload').addEventListener('click', guard(reload, $('reload-status')));
  $('backup-create').addEventListener('click', guard(createBackup, $('backup-status')));
  await Promise.all([guard(loadPeers, $('peers-status'))(), guard(loadActivity, $('activity-status'))(),
                     guard(loadRules, $('rules-status'))(), guard(loadKeys, $('keys-out'))(),
                     loadBackups()]);
  document.body.dataset.ready = 'true';
});
