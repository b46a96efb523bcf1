// Hub operator page: the cross-border report (HubStats) with the cluster /
// network graph (d3 force layout), k-suppression shown, a filter on the
// number of jurisdictions, and per-day plot (Chart.js).
import {setupHeader} from '../common.js';
import {api, el, table, say, num, fmtSecs, onSubmit, palette, clear} from './ops_common.js';

const $ = id => document.getElementById(id);
let daysChart = null;

function drawGraph(report) {
  const svg = d3.select('#graph');
  svg.selectAll('g').remove();
  const width = +svg.attr('width'), height = +svg.attr('height');
  const nodes = [], links = [];
  const byId = new Map();
  const add = n => { if (!byId.has(n.id)) { byId.set(n.id, n); nodes.push(n); } return byId.get(n.id); };
  const networkOf = new Map();
  (report.networks || []).forEach((n, i) => (n.digests || []).forEach(d => networkOf.set(d, i)));
  for (const c of report.clusters || []) {
    add({id: `c:${c.digest}`, kind: 'cluster', label: `${c.type} ${c.digest.slice(0, 8)}`,
         hits: num(c.hits), net: networkOf.has(c.digest) ? networkOf.get(c.digest) : -1});
    for (const j of c.jurisdictions || []) {
      add({id: `j:${j}`, kind: 'jurisdiction', label: j});
      links.push({source: `c:${c.digest}`, target: `j:${j}`, kind: 'held'});
    }
  }
  (report.networks || []).forEach(n => {
    const ds = (n.digests || []).filter(d => byId.has(`c:${d}`));
    for (let i = 1; i < ds.length; i++) links.push({source: `c:${ds[0]}`, target: `c:${ds[i]}`, kind: 'case'});
  });
  if (num(report.suppressed) > 0) {
    add({id: 'suppressed', kind: 'suppressed',
         label: `${num(report.suppressed)} cell(s) withheld (k = ${num(report.k_threshold)})`});
  }
  const sim = d3.forceSimulation(nodes)
    .force('link', d3.forceLink(links).id(d => d.id).distance(l => l.kind === 'case' ? 40 : 90))
    .force('charge', d3.forceManyBody().strength(-220))
    .force('center', d3.forceCenter(width / 2, height / 2))
    .force('collide', d3.forceCollide(26))
    .stop();
  for (let i = 0; i < 300; i++) sim.tick();  // laid out once: no animation to wait for.
  const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
  nodes.forEach(n => { n.x = clamp(n.x, 30, width - 30); n.y = clamp(n.y, 30, height - 30); });
  const g = svg.append('g');
  g.selectAll('line').data(links).enter().append('line')
    .attr('class', l => `edge ${l.kind}`)
    .attr('x1', l => l.source.x).attr('y1', l => l.source.y)
    .attr('x2', l => l.target.x).attr('y2', l => l.target.y);
  const node = g.selectAll('g.node').data(nodes).enter().append('g')
    .attr('class', n => `node ${n.kind}`)
    .attr('transform', n => `translate(${n.x},${n.y})`)
    .attr('tabindex', 0)
    .attr('role', 'img')
    .attr('aria-label', n => n.kind === 'cluster' ? `cluster ${n.label}, ${n.hits} hits` : n.label);
  node.filter(n => n.kind === 'jurisdiction').append('circle').attr('r', 18);
  node.filter(n => n.kind === 'cluster').append('rect')
    .attr('x', -8).attr('y', -8).attr('width', 16).attr('height', 16)
    .attr('fill', n => n.net >= 0 ? palette[n.net % palette.length] : '#777');
  node.filter(n => n.kind === 'suppressed').append('circle').attr('r', 14);
  node.append('text').attr('dy', n => n.kind === 'jurisdiction' ? 4 : 24)
    .attr('text-anchor', 'middle').text(n => n.kind === 'cluster' ? n.label.split(' ')[1] : n.label);
  node.append('title').text(n => n.kind === 'cluster' ? `${n.label}: ${n.hits} hits` : n.label);
}

function drawDays(days) {
  if (typeof Chart === 'undefined') return;
  if (daysChart) daysChart.destroy();
  daysChart = new Chart($('days-chart'), {
    type: 'line',
    data: {
      labels: days.map(d => d.day),
      datasets: [
        {label: 'queries', data: days.map(d => num(d.queries)), borderColor: palette[0], backgroundColor: palette[0]},
        {label: 'hits', data: days.map(d => num(d.hits)), borderColor: palette[1], backgroundColor: palette[1]},
      ],
    },
    options: {animation: false, responsive: true, scales: {y: {beginAtZero: true}}},
  });
}

async function load() {
  const minJ = Number($('min-j').value || 2);
  const r = await api(`/api/ops/hub?min_jurisdictions=${minJ}`);
  if (r.hub === false) {
    say($('hub-status'), (r.refused && r.refused.error) || 'this node is not a hub', 'error');
    return;
  }
  const totals = clear($('totals'));
  totals.append(el('p', {}, `${num(r.queries)} queries, ${num(r.items)} items, ${num(r.hits)} hits relayed. `,
    el('strong', {class: num(r.suppressed) ? 'bad' : null},
       `${num(r.suppressed)} cell(s) withheld below k = ${num(r.k_threshold)}.`)));
  if (typeof d3 !== 'undefined') drawGraph(r);
  table($('clusters-table'), `Clusters in at least ${minJ} jurisdictions`, [
    {label: 'Digest', render: c => c.digest.slice(0, 16)}, {label: 'Type', key: 'type'},
    {label: 'Jurisdictions', render: c => (c.jurisdictions || []).join(', ')},
    {label: 'Hits', key: 'hits'}, {label: 'First seen', render: c => fmtSecs(c.first_seen)},
    {label: 'Last seen', render: c => fmtSecs(c.last_seen)},
  ], r.clusters || [], 'no cluster at this threshold');
  table($('networks-table'), 'Networks (clusters linked through shared cases)', [
    {label: 'Clusters', render: n => (n.digests || []).map(d => d.slice(0, 8)).join(', ')},
    {label: 'Jurisdictions', render: n => (n.jurisdictions || []).join(', ')},
    {label: 'Hits', key: 'hits'}, {label: 'Cases', render: n => (n.cases || []).length},
  ], r.networks || [], 'no network at this threshold');
  table($('pairs-table'), 'Querier and member pairs', [
    {label: 'Querier', key: 'querier'}, {label: 'Member', key: 'member'},
    {label: 'Queries', key: 'queries'}, {label: 'Items', key: 'items'}, {label: 'Hits', key: 'hits'},
  ], r.pairs || [], 'no pair above k');
  drawDays(r.days || []);
  say($('hub-status'), `${(r.clusters || []).length} cluster(s), ${(r.networks || []).length} network(s)`);
}

document.addEventListener('DOMContentLoaded', async () => {
  await setupHeader();
  onSubmit($('hub-form'), $('hub-status'), load);
  await load().catch(e => say($('hub-status'), e.message, 'error'));
  document.body.dataset.ready = 'true';
});
