/* global document, window, location, uPlot */
// The dashboard's client: polls /ui/api every 2 s and redraws. Time series with uPlot, bars
// and attempt timelines as SVG. No framework; everything user-provided is escaped.
'use strict';
const POLL_MS = 2000;
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]);
const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US', { maximumFractionDigits: 2 }));
const pct = (x) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);
const time = (iso) => (iso ? iso.slice(0, 19).replace('T', ' ') : '—');

async function get(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (res.status === 401) { location.href = '/login'; throw new Error('signed out'); }
  return res.json();
}

function table(rows, cols, opts = {}) {
  if (rows.length === 0) return `<p class="empty">${esc(opts.empty ?? 'none')}</p>`;
  const head = cols.map(([label]) => `<th>${esc(label)}</th>`).join('');
  const body = rows.map((r) => `<tr${opts.rowAttr ? ` ${opts.rowAttr(r)}` : ''}>${cols.map(([, f]) => `<td>${f(r)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const charts = new Map();
/** A uPlot time-series chart in `el`, created once and fed new data on each poll. */
function lines(el, series, samples) {
  const data = [samples.map((s) => s.t), ...series.map(([, f]) => samples.map(f))];
  let chart = charts.get(el.id);
  if (!chart) {
    const colors = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c'];
    chart = new uPlot({
      width: Math.max(320, el.clientWidth || 800), height: 220,
      series: [{}, ...series.map(([label], i) => ({ label, stroke: colors[i % colors.length], width: 2, fill: i === 0 ? 'rgba(37,99,235,0.08)' : undefined }))],
      axes: [{}, { size: 60 }],
    }, data, el);
    charts.set(el.id, chart);
  } else chart.setData(data);
}

/** Horizontal SVG bars: [{label, value, max?, title?}] */
function bars(el, items, o = {}) {
  const h = 22;
  const max = Math.max(o.max ?? 0, ...items.map((x) => Math.max(x.value, x.max ?? 0)), 1e-9);
  const w = 640;
  const rows = items.map((x, i) => {
    const y = i * h;
    const bw = (x.value / max) * (w - 220);
    const limit = x.max !== undefined && x.max !== null ? `<line x1="${160 + (x.max / max) * (w - 220)}" x2="${160 + (x.max / max) * (w - 220)}" y1="${y + 2}" y2="${y + h - 2}" stroke="#dc2626" stroke-width="2"><title>limit ${fmt(x.max)}</title></line>` : '';
    return `<text x="0" y="${y + 15}" class="lbl">${esc(x.label)}</text><rect x="160" y="${y + 4}" width="${Math.max(1, bw)}" height="${h - 8}" fill="${x.color ?? '#2563eb'}"><title>${esc(x.title ?? fmt(x.value))}</title></rect>${limit}<text x="${166 + bw}" y="${y + 15}" class="val">${esc(o.format ? o.format(x.value) : fmt(x.value))}</text>`;
  }).join('');
  el.innerHTML = items.length === 0 ? `<p class="empty">${esc(o.empty ?? 'nothing to show')}</p>` : `<svg viewBox="0 0 ${w} ${items.length * h}" width="100%" height="${items.length * h}" role="img">${rows}</svg>`;
}

const OUTCOME_COLOR = { succeeded: '#16a34a', failed: '#dc2626', preempted: '#ea580c', cancelled: '#6b7280', lost: '#9333ea', running: '#2563eb' };
/** Attempts on a time line: one bar each (colour by outcome), lost work hatched, checkpoints as ticks. */
function timeline(el, d) {
  const t = (iso) => Date.parse(iso) / 1000;
  const now = t(d.now);
  const t0 = Math.min(...d.attempts.map((a) => t(a.start_time)), t(d.job.submit_time));
  const t1 = Math.max(now, ...d.attempts.map((a) => (a.end_time ? t(a.end_time) : now)));
  const W = 760; const L = 90; const span = Math.max(1, t1 - t0);
  const x = (s) => L + ((s - t0) / span) * (W - L - 10);
  const rows = d.attempts.map((a, i) => {
    const y = 10 + i * 26; const s = t(a.start_time); const e = a.end_time ? t(a.end_time) : now; const out = a.outcome ?? 'running';
    const lost = a.lost_seconds ? `<rect x="${x(Math.max(s, e - a.lost_seconds))}" y="${y}" width="${Math.max(1, x(e) - x(Math.max(s, e - a.lost_seconds)))}" height="18" fill="url(#lost)"><title>lost work ${fmt(a.lost_seconds)} s</title></rect>` : '';
    return `<text x="0" y="${y + 13}" class="lbl">attempt ${a.attempt}</text><rect x="${x(s)}" y="${y}" width="${Math.max(2, x(e) - x(s))}" height="18" fill="${OUTCOME_COLOR[out] ?? '#2563eb'}"><title>${esc(out)}: ${esc(a.reason ?? '')}</title></rect>${lost}`;
  }).join('');
  const ckpts = d.events.filter((e) => /checkpoint/i.test(e.type)).map((e) => `<line class="ckpt" x1="${x(t(e.time))}" x2="${x(t(e.time))}" y1="4" y2="${14 + d.attempts.length * 26}" stroke="#111" stroke-dasharray="2 2"><title>${esc(e.message)}</title></line>`).join('');
  const H = 24 + d.attempts.length * 26;
  el.innerHTML = `<svg viewBox="0 0 ${W} ${H}" width="100%" height="${H}" role="img" class="timeline"><defs><pattern id="lost" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#7f1d1d"/></pattern></defs>${rows}${ckpts}</svg>
  <p class="legend">${Object.entries(OUTCOME_COLOR).map(([k, c]) => `<span style="color:${c}">■</span> ${k}`).join(' ')} <span class="hatch">▨</span> lost work ┆ checkpoint</p>`;
}

const pages = {
  async fleet() {
    const d = await get('/ui/api/fleet');
    const cards = [['GPUs in use', `${fmt(d.gpusByState.in_use)} / ${fmt(d.gpusByState.in_use + d.gpusByState.idle + d.gpusByState.down)}`],
      ...Object.entries(d.nodesByState).map(([s, n]) => [`nodes ${s === 'repair' ? 'in repair' : s}`, fmt(n)])];
    $('fleet-cards').innerHTML = cards.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join('');
    lines($('gpu-chart'), [['GPUs in use', (s) => s.gpusInUse], ['GPUs total', (s) => s.gpus], ['GPUs on nodes down', (s) => s.nodesDown * (s.gpus / Math.max(1, d.pools.reduce((a, p) => a + p.nodes, 0)))]], d.series);
    $('pool-table').innerHTML = table(d.pools, [['pool', (p) => esc(p.name)], ['nodes', (p) => fmt(p.nodes)], ['down or in repair', (p) => fmt(p.down)], ['GPUs', (p) => fmt(p.gpus)], ['in use', (p) => `${fmt(p.gpusInUse)} (${pct(p.gpusInUse / Math.max(1, p.gpus))})`]]);
  },
  async queue() {
    const d = await get('/ui/api/jobs?state=queued');
    lines($('queue-chart'), [['queued', (s) => s.queued], ['running', (s) => s.running]], d.series);
    $('queue-table').innerHTML = table(d.jobs, [['job', (j) => esc(j.id)], ['name', (j) => esc(j.name)], ['tenant', (j) => esc(j.tenant)], ['priority', (j) => fmt(j.priority)], ['GPUs', (j) => fmt(j.nodes * j.gpus_per_node)],
      ['submitted', (j) => time(j.submit_time)], ['why pending', (j) => esc(j.reason ?? 'waiting for the next scheduling cycle')], ['estimated start', (j) => (j.estimated_start ? time(j.estimated_start) : 'not available')]], { empty: 'no job is waiting' });
  },
  async jobs() {
    const d = await get('/ui/api/jobs');
    bars($('ettr-chart'), d.jobs.filter((j) => d.ettr[j.id] !== undefined).map((j) => ({ label: `${j.id} ${j.name}`, value: d.ettr[j.id], color: d.ettr[j.id] < 0.9 ? '#ea580c' : '#16a34a' })), { max: 1, format: pct, empty: 'no training job is running' });
    $('jobs-table').innerHTML = table(d.jobs, [['job', (j) => `<a href="#${esc(j.id)}">${esc(j.id)}</a>`], ['name', (j) => esc(j.name)], ['tenant', (j) => esc(j.tenant)], ['state', (j) => `<span class="st ${esc(j.state)}">${esc(j.state)}</span>`],
      ['nodes', (j) => fmt(j.nodes)], ['attempt', (j) => fmt(j.attempt)], ['restarts', (j) => `${fmt(j.restarts)}/${fmt(j.max_restarts)}`], ['ETTR', (j) => pct(d.ettr[j.id])], ['reason', (j) => esc(j.reason ?? '')]], { empty: 'no jobs yet', rowAttr: (j) => `data-job="${esc(j.id)}"` });
    const id = decodeURIComponent(location.hash.slice(1));
    if (id) {
      const j = await get(`/ui/api/jobs/${encodeURIComponent(id)}`);
      if (j.error) { $('job-detail').innerHTML = `<p class="error">${esc(j.error.message)}</p>`; return; }
      $('job-detail').innerHTML = `<h2>${esc(j.job.id)} ${esc(j.job.name)}: ${esc(j.job.state)}</h2><p>ETTR ${pct(j.ettr)} · lost work ${fmt(j.lost_work_seconds)} s · ${fmt(j.job.restarts)} restart(s)</p><div id="timeline"></div>`
        + table(j.attempts, [['#', (a) => fmt(a.attempt)], ['start', (a) => time(a.start_time)], ['end', (a) => time(a.end_time)], ['outcome', (a) => esc(a.outcome ?? 'running')], ['lost s', (a) => fmt(a.lost_seconds)], ['reason', (a) => esc(a.reason ?? '')]]);
      timeline($('timeline'), j);
    }
  },
  async tenants() {
    const d = await get('/ui/api/tenants');
    bars($('tenant-chart'), d.tenants.map((t) => ({ label: t.tenant, value: t.gpusInUse, max: t.limitGpus ?? t.guaranteedGpus ?? undefined, title: `${fmt(t.gpusInUse)} GPUs in use; guaranteed ${fmt(t.guaranteedGpus)}, limit ${fmt(t.limitGpus)}` })), { empty: 'no tenant has work' });
    $('tenant-table').innerHTML = table(d.tenants, [['tenant', (t) => esc(t.tenant)], ['GPUs in use', (t) => fmt(t.gpusInUse)], ['guaranteed', (t) => fmt(t.guaranteedGpus)], ['limit', (t) => (t.limitGpus === null ? 'unlimited' : fmt(t.limitGpus))], ['running', (t) => fmt(t.running)], ['queued', (t) => fmt(t.queued)], ['GPUs queued', (t) => fmt(t.gpusQueued)]]);
  },
  async pools() {
    const [p, f] = await Promise.all([get('/ui/api/pools'), get('/ui/api/fleet')]);
    bars($('pools-chart'), f.pools.map((x) => ({ label: x.name, value: x.nodes, title: `${fmt(x.nodes)} nodes, ${fmt(x.gpusInUse)} of ${fmt(x.gpus)} GPUs in use` })));
    $('pools').innerHTML = p.available ? table(p.pools ?? [], [['pool', (x) => esc(x.name)], ['kind', (x) => esc(x.kind)], ['nodes', (x) => fmt(x.nodes)], ['rented now', (x) => fmt(x.provisionedNodes)], ['$/GPU-hour', (x) => fmt(x.pricePerGpuHourUsd)], ['GPU-hours', (x) => fmt(x.rentedGpuHours)], ['cost (USD)', (x) => fmt(x.costUsd)]])
      : `<p class="note">GPU-hours and cost: not available (${esc(p.reason ?? 'no pool data')}). Nodes per pool:</p>`;
  },
  async serving() {
    const d = await get('/ui/api/serving');
    lines($('replica-chart'), [['replicas running', (s) => s.replicas]], d.series);
    lines($('serving-load-chart'), [['output tokens/s', (s) => s.outputTokensPerSecond ?? 0]], d.series);
    const deps = d.deployments?.deployments ?? [];
    const figures = (x) => Object.values(x.load?.figures ?? {});
    const sum = (x, k) => figures(x).reduce((a, f) => a + f[k], 0);
    $('deployment-table').innerHTML = table(deps, [
      ['deployment', (x) => esc(x.name)], ['model', (x) => esc(x.model)],
      ['releases (share %)', (x) => esc(Object.entries(x.shares ?? {}).map(([r, p]) => `${r} ${p}%`).join(', ') || 'none promoted')],
      ['replicas ready / running (min-max)', (x) => `${fmt(x.replicas.filter((r) => r.ready && !r.draining).length)} / ${fmt(x.replicas.filter((r) => r.state === 'running').length)} (${fmt(x.spec.min_replicas)}-${fmt(x.spec.max_replicas)})`],
      ['gateways', (x) => fmt(x.load?.gateways ?? 0)], ['output tokens/s', (x) => fmt(x.load?.outputTokensPerSecond ?? 0)], ['requests in flight', (x) => fmt(x.load?.requestsInFlight ?? 0)],
      ['requests/s', (x) => fmt(sum(x, 'requests') / 60)], ['error rate', (x) => (sum(x, 'requests') > 0 ? pct(sum(x, 'errors') / sum(x, 'requests')) : '—')],
      ['latency p99 ms', (x) => (figures(x).length ? fmt(Math.max(...figures(x).map((f) => f.p99Ms))) : '—')],
      ['unhealthy', (x) => fmt(x.unhealthy?.length ?? 0)],
    ], { empty: 'no deployments (gigafactory serve deploy)' });
    $('serving-table').innerHTML = table(d.replicas, [['replica job', (j) => esc(j.id)], ['model / name', (j) => esc(j.name)], ['tenant', (j) => esc(j.tenant)], ['state', (j) => esc(j.state)]], { empty: 'no serving replicas' });
    $('gateway-note').textContent = d.deployments ? '' : 'Deployments: not available from this control plane; scrape the gateway\'s /metrics (gigafactory_gateway_*).';
  },
  async reports() {
    const d = await get('/ui/api/reports');
    $('report-list').innerHTML = d.reports.length ? `<ul>${d.reports.map((f) => `<li><a href="/reports/view/${encodeURIComponent(f)}" target="_blank">${esc(f)}</a></li>`).join('')}</ul>` : '<p class="empty">no reports saved in &lt;data-dir&gt;/reports</p>';
  },
};

function start() {
  const name = document.querySelector('main')?.dataset.page;
  const render = pages[name];
  if (!render) return;
  const file = $('report-file');
  if (file) file.addEventListener('change', () => { const f = file.files[0]; if (f) window.open(URL.createObjectURL(f), '_blank'); });
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try { await render(); document.body.dataset.updated = String(Date.now()); } catch (e) { if (e.message !== 'signed out') document.body.dataset.error = e.message; } finally { busy = false; }
  };
  window.addEventListener('hashchange', tick);
  document.addEventListener('click', (ev) => { const tr = ev.target.closest('tr[data-job]'); if (tr && !ev.target.closest('a')) location.hash = tr.dataset.job; });
  void tick();
  setInterval(tick, POLL_MS);
}
start();
