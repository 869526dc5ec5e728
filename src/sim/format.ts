import type { SimReport } from './report.ts';
import type { Summary } from './stats.ts';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const dur = (s: number | null): string => {
  if (s === null) return '-';
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${(s / 60).toFixed(0)}m`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86_400).toFixed(1)}d`;
};
const row = (s: Summary): string => `${dur(s.mean).padStart(7)} ${dur(s.p50).padStart(7)} ${dur(s.p99).padStart(7)}`;

/** The text report: headline figures, then per-category, per-size-class and per-job tables. */
export function formatReport(r: SimReport): string {
  const out: string[] = [];
  out.push(`sim: ${r.workload} on ${int(r.gpus)} GPUs for ${r.days} days, policy ${r.policy}, seed ${r.seed}`);
  out.push(`  ${int(r.events)} events, ${int(r.schedulingCycles)} scheduling cycles in ${r.wallSeconds.toFixed(2)} s wall (${r.cpuSeconds.toFixed(2)} s CPU)`);
  out.push(`utilization: allocated ${pct(r.utilization.allocated)}, productive ${pct(r.utilization.productive)}`);
  out.push(`interruptions: ${int(r.interruptions.unexpected)} unexpected (${(r.interruptions.unexpected / r.days).toFixed(2)}/day), ${int(r.interruptions.planned)} planned; ${int(r.preemptions)} preemptions${r.preemptions > 0 ? ` (${Object.entries(r.preemptionsByReason).map(([k, n]) => `${k.replace('preempt/', '')} ${n}`).join(', ')})` : ''}`);
  const cats = Object.entries(r.interruptions.byCategory).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const comps = Object.entries(r.interruptions.byComponent).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (comps.length > 0) out.push('  by component: ' + comps.map(([c, n]) => `${c} ${n} (${pct(n / Math.max(1, r.interruptions.unexpected))})`).join(', '));
  if (cats.length > 0) out.push('  by category (per day): ' + cats.map(([c, n]) => `${c} ${n} (${(n / r.days).toFixed(2)})`).join(', '));
  out.push(`spares: ${r.spares.target} hot spare nodes (${r.spares.carvedFromFleet} from the fleet, ${r.spares.addedBeyondFleet} added beyond it), ${r.spares.swaps} swapped in`);
  if (r.training.length > 0) {
    const top = [...r.training].sort((a, b) => b.gpus - a.gpus).slice(0, 5);
    out.push('training jobs (largest 5):');
    out.push('  id                      GPUs    ETTR  goodput  restarts  ckpt every');
    for (const t of top) out.push(`  ${t.id.padEnd(20)} ${int(t.gpus).padStart(7)} ${pct(t.ettr).padStart(7)} ${pct(t.goodput).padStart(8)} ${String(t.restarts).padStart(9)}  ${dur(t.checkpointIntervalSeconds)}`);
    if (r.training.length > 5) {
      const mean = r.training.reduce((a, t) => a + t.ettr, 0) / r.training.length;
      out.push(`  ... ${int(r.training.length)} training jobs in all, mean ETTR ${pct(mean)}`);
    }
    for (const t of top) if (t.model !== undefined && t.tokensTrained !== undefined) out.push(`  ${t.id}: ${t.model} at ${t.tokensPerSecondPerGpu!.toFixed(1)} tokens/s/GPU planned: ${(t.tokensTrained / 1e12).toFixed(2)}T tokens trained`);
  }
  if (r.sizeClasses.length > 0) {
    out.push('jobs by size (GPUs):    jobs  finished |   queue wait mean/p50/p99 |  completion mean/p50/p99 | leaves spines');
    const spread = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
    for (const c of r.sizeClasses) {
      out.push(`  ${c.name.padEnd(10)} ${int(c.jobs).padStart(10)} ${int(c.finished).padStart(9)} | ${row(c.queueSeconds)} | ${row(c.completionSeconds)} | ${spread(c.meanLeaves).padStart(6)} ${spread(c.meanSpines).padStart(6)}`);
    }
  }
  for (const s of r.services) out.push(`service ${s.id}: ${pct(s.demandServed)} of demand served, mean ${s.meanReplicas.toFixed(0)} replicas, peak ${s.peakReplicas}${s.model !== undefined ? ` (${s.model}, ${s.gpusPerReplica} GPUs and ${int(s.capacityTokensPerSecondPerReplica ?? 0)} output tokens/s per replica)` : ''}`);
  if (r.sizing.length > 0) out.push('sized by the planner:', ...r.sizing.map((x) => `  ${x}`));
  if (r.jobsAfterHorizon > 0) out.push(`${int(r.jobsAfterHorizon)} workload jobs arrive after day ${r.days} (not simulated)`);
  out.push(`rented: ${int(r.rented.gpuHours)} GPU-hours, $${int(r.rented.costUsd)}, peak ${r.rented.peakNodes} nodes`);
  if (r.rejected.length > 0) {
    out.push(`rejected: ${r.rejected.length} jobs`);
    for (const x of r.rejected.slice(0, 5)) out.push(`  ${x.id}: ${x.reason}`);
    if (r.rejected.length > 5) out.push(`  ... ${r.rejected.length - 5} more (see --json)`);
  }
  return out.join('\n') + '\n';
}
