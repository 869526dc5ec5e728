import type { SimReport } from './report.ts';
import { summarize } from './stats.ts';

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
const hours = (s: number | null): string => (s === null ? '-' : `${(s / 3600).toFixed(1)}h`);

/** A label for a run from what varies between runs. */
export interface LabelledReport { readonly label: string; readonly report: SimReport }

/**
 * One line per run, for comparing policies, recovery modes or checkpoint intervals on the same
 * workload and seed: utilisation, interruptions, preemptions, ETTR of the largest training job,
 * queue wait over all jobs and over jobs of more than 512 GPUs, rented cost.
 */
export function formatComparison(runs: readonly LabelledReport[]): string {
  const head = ['run', 'allocated', 'productive', 'interrupts', 'preempts', 'top ETTR', 'mean ETTR', 'wait mean', 'wait p99', '>512 GPUs wait', 'rented $'];
  const rows = runs.map(({ label, report: r }) => {
    const top = [...r.training].sort((a, b) => b.gpus - a.gpus)[0];
    const meanEttr = r.training.length === 0 ? null : r.training.reduce((a, t) => a + t.ettr, 0) / r.training.length;
    const waits = summarize(r.jobs.flatMap((j) => (j.queueSeconds === null ? [] : [j.queueSeconds])));
    // Big jobs are the ones a policy can starve; their mean wait shows it.
    const big = summarize(r.jobs.flatMap((j) => (j.queueSeconds === null || j.gpus <= 512 ? [] : [j.queueSeconds])));
    return [label, pct(r.utilization.allocated), pct(r.utilization.productive), String(r.interruptions.unexpected), String(r.preemptions),
      pct(top?.ettr ?? null), pct(meanEttr), hours(waits.mean), hours(waits.p99), hours(big.mean), Math.round(r.rented.costUsd).toLocaleString('en-US')];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const first = runs[0]?.report;
  const title = first ? `sim compare: ${first.workload} on ${first.gpus.toLocaleString('en-US')} GPUs for ${first.days} days, seed ${first.seed}` : 'sim compare';
  return [title, line(head), ...rows.map(line)].join('\n') + '\n';
}
