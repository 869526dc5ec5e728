/**
 * The time-series charts of `sim --html`, drawn from each run's `timeline` (src/sim/timeline.ts):
 * utilisation over time, interruptions per day by category, jobs running and queued, nodes in
 * repair and hot spares, rented nodes. Runs of one invocation share their sample times.
 */
import type { Timeline } from '../sim/timeline.ts';
import type { ChartSpec, TimeChartSpec } from './chart-spec.ts';

/** A run with its timeline (absent in a JSON report written before timelines were recorded). */
export interface TimelineRun { readonly label: string; readonly timeline: Timeline | undefined }

/** At most this many bars in the per-day interruptions chart (longer runs get wider bins). */
const MAX_BINS = 120;
const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;
const xDaysOf = (t: Timeline) => t.tSeconds.map((s) => round(s / 86_400));

/** The x axis shared by the runs: the longest run's sample times, in days. */
function sharedX(runs: readonly TimelineRun[]): { xDays: number[]; runs: { label: string; t: Timeline; color: number }[] } {
  const withT = runs.flatMap((r, i) => (r.timeline ? [{ label: r.label, t: r.timeline, color: i }] : []));
  const longest = withT.reduce<Timeline | undefined>((a, r) => (!a || r.t.tSeconds.length > a.tSeconds.length ? r.t : a), undefined);
  return { xDays: longest ? xDaysOf(longest) : [], runs: withT };
}

/** GPUs allocated and productive as a share of the fleet's GPUs at each sample (owned plus rented now). */
export function utilisationChart(runs: readonly TimelineRun[]): TimeChartSpec {
  const { xDays, runs: rs } = sharedX(runs);
  const share = (num: readonly number[], t: Timeline) => num.map((g, i) => (t.gpusCapacity[i]! > 0 ? round(g / t.gpusCapacity[i]!) : null));
  return {
    id: 'util-time', title: 'GPU utilisation over time: allocated (solid), productive (dashed)', xDays, unit: 'fraction',
    series: rs.flatMap((r) => [
      { label: `${r.label} allocated`, values: share(r.t.gpusAllocated, r.t), color: r.color },
      { label: `${r.label} productive`, values: share(r.t.gpusProductive, r.t), dash: true, color: r.color },
    ]),
  };
}

/** Unexpected interruptions in each day (or wider bins for long runs), stacked by category. */
export function interruptionsPerDayChart(id: string, label: string, t: Timeline): ChartSpec {
  const last = t.tSeconds.length - 1;
  const spanDays = t.tSeconds[last]! / 86_400;
  const binSeconds = Math.max(1, Math.ceil(spanDays / MAX_BINS)) * 86_400;
  const step = Math.max(1, Math.round(binSeconds / t.intervalSeconds));
  const starts: number[] = [];
  for (let i = 0; i < last; i += step) starts.push(i);
  const dayOf = (i: number) => t.tSeconds[i]! / 86_400;
  const categories = starts.map((i) => {
    const a = dayOf(i); const b = dayOf(Math.min(i + step, last));
    return b - a <= 1 ? `day ${Math.floor(a) + 1}` : `days ${Math.floor(a) + 1}-${Math.ceil(b)}`;
  });
  const series = Object.entries(t.interruptionsByCategory).map(([category, cum]) => ({
    label: category, values: starts.map((i) => cum[Math.min(i + step, last)]! - cum[i]!),
  }));
  return { id, title: `Interruptions per ${step * t.intervalSeconds > 86_400 ? `${(step * t.intervalSeconds) / 86_400} days` : 'day'} by category: ${label}`, categories, unit: 'interruptions', stacked: true, series };
}

export function jobsChart(runs: readonly TimelineRun[]): TimeChartSpec {
  const { xDays, runs: rs } = sharedX(runs);
  return {
    id: 'jobs-time', title: 'Jobs running (solid) and queued (dashed)', xDays, unit: 'jobs',
    series: rs.flatMap((r) => [{ label: `${r.label} running`, values: r.t.runningJobs, color: r.color }, { label: `${r.label} queued`, values: r.t.pendingJobs, dash: true, color: r.color }]),
  };
}

export function nodesChart(runs: readonly TimelineRun[]): TimeChartSpec {
  const { xDays, runs: rs } = sharedX(runs);
  return {
    id: 'nodes-time', title: 'Nodes in repair (solid) and hot spares (dashed)', xDays, unit: 'nodes',
    series: rs.flatMap((r) => [
      { label: `${r.label} in repair`, values: r.t.nodesRepair, color: r.color }, { label: `${r.label} spare`, values: r.t.nodesSpare, dash: true, color: r.color },
      ...(r.t.nodesDown.some((n) => n > 0) ? [{ label: `${r.label} down`, values: r.t.nodesDown, color: r.color + 6 }] : []),
    ]),
  };
}

export function rentedChart(runs: readonly TimelineRun[]): TimeChartSpec {
  const { xDays, runs: rs } = sharedX(runs);
  return { id: 'rented-time', title: 'Rented nodes over time', xDays, unit: 'nodes', series: rs.map((r) => ({ label: r.label, values: r.t.rentedNodes, color: r.color })) };
}
