/**
 * Self-contained HTML reports: `gigafactory sim --html FILE` and `gigafactory plan train
 * --html FILE`. One file with uPlot and its CSS inlined (opens offline, mails as one
 * attachment); the data is embedded as JSON and each chart is a uPlot bar or line chart.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../lib/errors.ts';
import type { StepBreakdown } from '../plan/step-time.ts';
import type { TrainPlan } from '../plan/train-plan.ts';
import type { SimReport } from '../sim/report.ts';
import type { ChartSpec, TimeChartSpec } from './chart-spec.ts';
import { interruptionsPerDayChart, jobsChart, nodesChart, rentedChart, utilisationChart, type TimelineRun } from './sim-timeline-charts.ts';

export type { ChartSpec, TimeChartSpec };

const require = createRequire(import.meta.url);
const UPLOT_DIR = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));

type AnyChart = ChartSpec | TimeChartSpec;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** JSON safe inside <script>: no "</script>" can close the element early. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

// Draws each chart as bars: side by side (one x position per category and series, the
// other series null there) or stacked (cumulative sums drawn back to front). y starts at 0.
const CLIENT = `
const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#65a30d', '#be185d', '#ca8a04', '#475569', '#14b8a6', '#f472b6', '#7c3aed'];
function timeChart(c, el) {
  new uPlot({
    width: 1100, height: 280, title: c.title,
    scales: { x: { time: false }, y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] } },
    axes: [{ label: 'day' }, { label: c.unit ?? '', size: 70 }],
    series: [{ label: 'day', value: (u, v) => (v == null ? '' : v.toFixed(2)) }, ...c.series.map((s, k) => ({
      label: s.label, stroke: COLORS[(s.color ?? k) % COLORS.length], width: 1.5, points: { show: false }, ...(s.dash ? { dash: [6, 4] } : {}),
    }))],
  }, [c.xDays, ...c.series.map((s) => s.values)], el);
}
for (const c of CHARTS) {
  const el = document.getElementById(c.id);
  if (c.xDays) { timeChart(c, el); continue; }
  const C = c.categories.length;
  const n = c.stacked ? 1 : c.series.length;
  const xs = [];
  for (let i = 0; i < C; i++) for (let k = 0; k < n; k++) xs.push(n === 1 ? i : i + (k - (n - 1) / 2) * (0.8 / n));
  let data;
  let labels = c.series.map((s) => s.label);
  if (c.stacked) {
    const acc = xs.map(() => 0);
    data = c.series.map((s) => s.values.map((v, i) => (acc[i] += v ?? 0)));
    data.reverse(); labels = labels.slice().reverse();
  } else {
    data = c.series.map((s, k) => xs.map((_, j) => (j % n === k ? (s.values[Math.floor(j / n)] ?? null) : null)));
  }
  const color = (k) => COLORS[(c.stacked ? labels.length - 1 - k : k) % COLORS.length];
  const width = Math.min(1100, Math.max(420, 80 + C * Math.max(36, 16 * n)));
  new uPlot({
    width, height: 260, title: c.title,
    scales: { x: { time: false, range: [-0.6, C - 0.4] }, y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] } },
    axes: [{ splits: () => c.categories.map((_, i) => i), values: (u, ticks) => ticks.map((t) => (C > 16 ? '' : c.categories[t] ?? '')), gap: 4 }, { label: c.unit ?? '', size: 70 }],
    series: [{ label: 'item', value: (u, v) => c.categories[Math.round(v)] ?? '' }, ...labels.map((label, k) => ({
      label, fill: color(k), stroke: color(k), spanGaps: false,
      paths: uPlot.paths.bars({ size: [c.stacked ? 0.7 : 0.9, 80] }),
      points: { show: false },
    }))],
  }, [xs, ...data], el);
}`;

export function renderHtml(title: string, intro: string, sections: readonly { heading: string; html?: string; charts?: readonly AnyChart[] }[]): string {
  const charts = sections.flatMap((s) => s.charts ?? []);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${readFileSync(join(UPLOT_DIR, 'uPlot.min.css'), 'utf8')}
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;max-width:1160px} h1{font-size:22px} h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:13px} td,th{padding:3px 10px;border-bottom:1px solid #e2e8f0;text-align:right} th:first-child,td:first-child{text-align:left}
.chart{margin:8px 0 18px} .note{color:#64748b}</style></head><body>
<h1>${esc(title)}</h1><p>${intro}</p>
${sections.map((s) => `<h2>${esc(s.heading)}</h2>${s.html ?? ''}${(s.charts ?? []).map((c) => `<div class="chart" id="${c.id}"></div>`).join('')}`).join('\n')}
<script>${readFileSync(join(UPLOT_DIR, 'uPlot.iife.min.js'), 'utf8')}</script>
<script>const CHARTS = ${scriptJson(charts)};${CLIENT}</script>
</body></html>
`;
}

const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${esc(typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : v)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;

export interface LabelledSimReport { readonly label: string; readonly report: SimReport }

/** The simulator's report (one run, or several compared) as charts. */
export function simReportHtml(runs: readonly LabelledSimReport[]): string {
  const first = runs[0]!.report;
  const labels = runs.map((r) => r.label);
  const categories = [...new Set(runs.flatMap((r) => Object.keys(r.report.interruptions.perDay)))];
  const sizes = [...new Set(runs.flatMap((r) => r.report.sizeClasses.map((s) => s.name)))];
  const queueP = (r: SimReport, name: string, k: 'p50' | 'p99') => r.sizeClasses.find((s) => s.name === name)?.queueSeconds[k] ?? null;
  const training = first.training.slice(0, 60);
  // JSON reports written before timelines were recorded have none: their time charts are left out.
  const timed: TimelineRun[] = runs.map((r) => ({ label: r.label, timeline: (r.report as Partial<SimReport>).timeline }));
  const hasTimeline = timed.some((r) => r.timeline !== undefined);
  const noTimeline = hasTimeline ? '' : '<p class="note">This report has no timeline (written by an older <code>gigafactory sim --json</code>): totals only.</p>';
  const perDay = timed.slice(0, 6).flatMap((r, i) => (r.timeline ? [interruptionsPerDayChart(`interruptions-day-${i}`, r.label, r.timeline)] : []));
  return renderHtml(`Simulation: ${first.workload}`, `${esc(String(first.gpus.toLocaleString('en-US')))} GPUs, ${first.days} days, seed ${first.seed}; ${runs.length > 1 ? `${runs.length} runs compared: ${esc(labels.join(', '))}` : `policy ${esc(first.policy)}`}. Produced by <code>gigafactory sim --html</code>.`, [
    {
      heading: 'Utilisation: allocated and productive',
      html: '<p class="note">Share of the fleet\'s GPUs (owned, plus rented ones while rented) held by jobs, and doing useful work. Over time, productive is GPUs computing (not restarting or reloading a checkpoint); in the totals, productive is work kept (work lost to a failure excluded).</p>' + noTimeline,
      charts: [
        ...(hasTimeline ? [utilisationChart(timed)] : []),
        { id: 'util', title: 'GPU utilisation over the whole period', categories: labels, unit: 'fraction', series: [{ label: 'allocated', values: runs.map((r) => r.report.utilization.allocated) }, { label: 'productive', values: runs.map((r) => r.report.utilization.productive) }] },
      ],
    },
    {
      heading: 'Interruptions per day by category',
      html: runs.length > perDay.length && hasTimeline ? `<p class="note">Day by day for the first ${perDay.length} runs.</p>` : '',
      charts: [
        ...perDay,
        { id: 'interruptions', title: 'Interruptions per day, mean over the period', categories, unit: 'per day', series: runs.map((r) => ({ label: r.label, values: categories.map((c) => r.report.interruptions.perDay[c] ?? 0) })) },
      ],
    },
    {
      heading: 'Nodes in repair and hot spares',
      html: hasTimeline ? '' : noTimeline,
      charts: hasTimeline ? [nodesChart(timed)] : [],
    },
    {
      heading: 'ETTR per training job',
      html: first.training.length > 60 ? `<p class="note">The 60 largest of ${first.training.length} training jobs.</p>` : '',
      charts: training.length ? [{ id: 'ettr', title: 'Effective training time ratio', categories: training.map((t) => `${t.id} (${t.gpus.toLocaleString('en-US')} GPUs)`), unit: 'ETTR', series: runs.map((r) => ({ label: r.label, values: training.map((t) => r.report.training.find((x) => x.id === t.id)?.ettr ?? null) })) }] : [],
    },
    {
      heading: 'Queue: jobs over time, and wait by job size',
      charts: [
        ...(hasTimeline ? [jobsChart(timed)] : []),
        ...(sizes.length ? [{ id: 'queue', title: 'Queue wait, p50 and p99', categories: sizes, unit: 'seconds', series: runs.flatMap((r) => [{ label: `${r.label} p50`, values: sizes.map((s) => queueP(r.report, s, 'p50')) }, { label: `${r.label} p99`, values: sizes.map((s) => queueP(r.report, s, 'p99')) }]) }] : []),
      ],
    },
    {
      heading: 'Rented capacity',
      html: '<p class="note">Rented nodes over time; peak rented nodes, GPU-hours and cost over the period.</p>'
        + table(['run', 'peak rented nodes', 'rented GPU-hours', 'cost (USD)'], runs.map((r) => [r.label, r.report.rented.peakNodes, r.report.rented.gpuHours, r.report.rented.costUsd])),
      charts: [
        ...(hasTimeline ? [rentedChart(timed)] : []),
        { id: 'rented', title: 'Peak rented nodes', categories: labels, unit: 'nodes', series: [{ label: 'peak rented nodes', values: runs.map((r) => r.report.rented.peakNodes) }] },
      ],
    },
    ...(runs.length > 1 ? [{
      heading: 'Policy comparison',
      html: '<p class="note">Each run\'s utilisation over time is in the first chart; here the totals side by side.</p>'
        + table(['run', 'allocated', 'productive', 'unexpected interruptions', 'preemptions', 'rented cost (USD)'], runs.map((r) => [r.label, r.report.utilization.allocated, r.report.utilization.productive, r.report.interruptions.unexpected, r.report.preemptions, r.report.rented.costUsd])),
      charts: [{ id: 'compare', title: 'Productive utilisation and preemptions (per 1,000) by run', categories: labels, series: [{ label: 'productive utilisation', values: runs.map((r) => r.report.utilization.productive) }, { label: 'preemptions / 1,000', values: runs.map((r) => r.report.preemptions / 1000) }] }],
    }] : []),
  ]);
}

const STEP_PARTS: readonly [string, (s: StepBreakdown) => number][] = [
  ['GEMM', (s) => s.gemmSeconds], ['attention', (s) => s.attentionSeconds], ['element-wise', (s) => s.elementwiseSeconds], ['recompute', (s) => s.recomputeSeconds],
  ['LM head', (s) => s.headSeconds], ['TP exposed', (s) => s.tp.exposedSeconds], ['CP exposed', (s) => s.cp.exposedSeconds], ['EP', (s) => s.ep.seconds],
  ['PP bubble', (s) => s.pp.bubbleSeconds], ['PP p2p', (s) => s.pp.p2pExposedSeconds], ['DP exposed', (s) => s.dp.exposedSeconds], ['optimizer', (s) => s.optimizerSeconds], ['SM contention', (s) => s.commContentionSeconds],
];

/** The planner's best layout and runners-up: compared, and each step broken down. */
export function trainPlanHtml(plan: TrainPlan): string {
  const layouts = [plan, ...plan.alternatives];
  const names = layouts.map((_, i) => `#${i + 1}${i === 0 ? ' best' : ''}`);
  return renderHtml(`Training plan: ${plan.model} on ${plan.gpus.toLocaleString('en-US')} ${plan.gpu}`, `${plan.precision}, sequence ${plan.seq.toLocaleString('en-US')}, ${plan.tokens.toExponential(2)} tokens; ${plan.layoutsEvaluated.toLocaleString('en-US')} layouts evaluated. Produced by <code>gigafactory plan train --html</code>.`, [
    {
      heading: 'Layouts compared',
      html: table(['layout', 'step (s)', 'MFU', 'tokens/s/GPU', 'days', 'GPU-hours', 'memory/GPU (GB)'], layouts.map((l, i) => [`${names[i]!}: ${l.layout.text}`, l.stepSeconds, l.mfu, l.tokensPerSecondPerGpu, l.daysToTrain, l.gpuHours, l.memoryBytesPerGpu.total / 1e9])),
      charts: [
        { id: 'days', title: 'Days to train', categories: names, unit: 'days', series: [{ label: 'with failures', values: layouts.map((l) => l.daysToTrain) }, { label: 'no failures', values: layouts.map((l) => l.daysToTrainNoFailures) }] },
        { id: 'mfu', title: 'MFU', categories: names, unit: 'MFU', series: [{ label: 'MFU', values: layouts.map((l) => l.mfu) }] },
      ],
    },
    {
      heading: 'Step time breakdown per layout',
      html: '<p class="note">Seconds per optimizer step on the slowest pipeline stage; exposed communication only (what overlap hides is not counted).</p>',
      charts: [{ id: 'step', title: 'Step time by part', categories: names, unit: 'seconds', stacked: true, series: STEP_PARTS.map(([label, f]) => ({ label, values: layouts.map((l) => f(l.step)) })) }],
    },
  ]);
}

/** Reads a JSON report written by `sim --json` (one run or several); the error names the file. */
export function parseSimReportJson(text: string, file: string): LabelledSimReport[] {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) {
    throw new InputError({ field: 'report', value: file, expected: `a JSON report written by \`gigafactory sim --json\` (${(e as Error).message})` });
  }
  const runs = Array.isArray(v) ? v : [v];
  const ok = runs.length > 0 && runs.every((r) => r !== null && typeof r === 'object' && 'utilization' in r && 'interruptions' in r && 'training' in r && 'sizeClasses' in r && 'rented' in r);
  if (!ok) throw new InputError({ field: 'report', value: file, expected: 'a report written by `gigafactory sim --json` (utilization, interruptions, training, sizeClasses, rented)' });
  return runs.map((r: SimReport & { run?: string }) => ({ label: r.run ?? r.policy, report: r }));
}

