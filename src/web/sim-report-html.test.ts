// `sim --html` without a browser: the time charts carry the run's timeline, the page loads
// nothing from elsewhere, and a JSON report from before timelines still renders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridTopology, testOptions, trainJob, workloadOf } from '../sim/test-helpers.ts';
import { simulate } from '../sim/simulate.ts';
import type { SimReport } from '../sim/report.ts';
import type { ChartSpec, TimeChartSpec } from './chart-spec.ts';
import { simReportHtml } from './report-html.ts';

type Chart = ChartSpec & TimeChartSpec;

function chartsOf(html: string): Map<string, Chart> {
  const m = /<script>const CHARTS = (.*?);\nconst COLORS/s.exec(html);
  assert.ok(m, 'the page embeds its chart data');
  return new Map((JSON.parse(m[1]!) as Chart[]).map((c) => [c.id, c]));
}

function run(policy: string): SimReport {
  const jobs = [trainJob('a', 4, { workSeconds: 40 * 3600, estimatedRuntimeSeconds: 40 * 3600 }), trainJob('b', 2, { submitSeconds: 6 * 3600, workSeconds: 3 * 3600 }), trainJob('c', 3, { submitSeconds: 7 * 3600, workSeconds: 5 * 3600 }), trainJob('d', 1, { workSeconds: Infinity, checkpoints: false })];
  // Failures often, repairs quick: a few dozen interruptions in 3 days on 8 nodes.
  const failures = { ...testOptions().failures, failuresPer1000NodeDays: 3000, repairMedianSeconds: 1800 };
  return simulate(gridTopology(1, 2, 4), workloadOf(jobs), testOptions({ days: 3, policy, failures }));
}

test('sim --html: time charts of utilisation, interruptions per day, nodes, jobs and rented nodes carry the timeline', () => {
  const runs = [{ label: 'fifo', report: run('fifo') }, { label: 'default', report: run('default') }];
  const html = simReportHtml(runs);
  const charts = chartsOf(html);
  for (const id of ['util-time', 'interruptions-day-0', 'interruptions-day-1', 'nodes-time', 'jobs-time', 'rented-time', 'util', 'interruptions', 'ettr', 'queue', 'rented', 'compare']) {
    assert.ok(charts.has(id), `chart ${id}`);
    assert.match(html, new RegExp(`<div class="chart" id="${id}">`), `a place for chart ${id}`);
  }
  const t = runs[0]!.report.timeline;
  const util = charts.get('util-time')!;
  assert.equal(util.xDays.length, t.tSeconds.length);
  assert.equal(util.xDays[util.xDays.length - 1], 3);
  assert.deepEqual(util.series.map((s) => s.label), ['fifo allocated', 'fifo productive', 'default allocated', 'default productive']);
  t.gpusAllocated.forEach((g, i) => assert.ok(Math.abs(util.series[0]!.values[i]! - g / 64) < 1e-4, `sample ${i}`));
  assert.deepEqual(charts.get('jobs-time')!.series[1]!.values, t.pendingJobs);
  assert.deepEqual(charts.get('nodes-time')!.series[0]!.values, t.nodesRepair);
  // Day by day: three bars, and the interruptions add up to the run's count.
  const perDay = charts.get('interruptions-day-0')!;
  assert.deepEqual(perDay.categories, ['day 1', 'day 2', 'day 3']);
  const total = perDay.series.reduce((a, s) => a + s.values.reduce<number>((b, v) => b + (v ?? 0), 0), 0);
  assert.ok(runs[0]!.report.interruptions.unexpected > 10, 'the run had interruptions');
  assert.equal(total, Object.values(t.interruptionsByCategory).reduce((a, c) => a + c[c.length - 1]!, 0));
  assert.equal(total, runs[0]!.report.interruptions.unexpected);
});

test('sim --html is self-contained: uPlot inlined, nothing loaded from elsewhere', () => {
  const html = simReportHtml([{ label: 'default', report: run('default') }]);
  assert.doesNotMatch(html, /<script[^>]+src=|<link|<img|@import|url\(\s*['"]?(https?:)?\/\//i);
  assert.match(html, /<script>[^<]*uPlot/, 'uPlot is inlined');
  assert.match(html, /<style>[^<]*\.uplot/, 'its CSS too');
});

test('a JSON report written before timelines renders its totals, without time charts', () => {
  const { timeline, ...old } = run('default');
  assert.ok(timeline.tSeconds.length > 0);
  const html = simReportHtml([{ label: 'default', report: old as SimReport }]);
  const charts = chartsOf(html);
  assert.ok(charts.has('util') && charts.has('interruptions'));
  assert.ok(![...charts.keys()].some((id) => id.endsWith('-time') || id.startsWith('interruptions-day')));
  assert.match(html, /has no timeline/);
});
