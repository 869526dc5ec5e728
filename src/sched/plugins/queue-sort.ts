import { gpusOf, type CycleState, type QueueSortPlugin } from '../framework.ts';
import type { SchedJob } from '../types.ts';

/** Arrival order; ties by id so the order is total and deterministic. */
const bySubmit = (a: SchedJob, b: SchedJob): number => a.submitSeconds - b.submitSeconds || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const fifoSort = { name: 'sort/fifo', sort: (q) => [...q].sort(bySubmit) } satisfies QueueSortPlugin;

export const prioritySort = {
  name: 'sort/priority',
  sort: (q) => [...q].sort((a, b) => b.priority - a.priority || bySubmit(a, b)),
} satisfies QueueSortPlugin;

/**
 * Weighted fair share: interleave tenants so that the next job always belongs to the tenant
 * with the lowest (GPUs in use + GPUs ordered ahead of it this cycle) / weight. Within a tenant,
 * arrival order. O(Q log Q + Q x T) with T tenants having pending work (a handful).
 */
export function fairMerge(jobs: readonly SchedJob[], state: CycleState): SchedJob[] {
  const perTenant = new Map<string, SchedJob[]>();
  for (const j of jobs) {
    const l = perTenant.get(j.tenant);
    if (l) l.push(j); else perTenant.set(j.tenant, [j]);
  }
  const tenants = [...perTenant.keys()].sort();
  for (const t of tenants) perTenant.get(t)!.sort(bySubmit);
  const virtualGpus = new Map(tenants.map((t) => [t, state.usageGpus.get(t) ?? 0]));
  const cursor = new Map(tenants.map((t) => [t, 0]));
  const out: SchedJob[] = [];
  while (out.length < jobs.length) {
    let best = '';
    let bestShare = Infinity;
    for (const t of tenants) {
      const list = perTenant.get(t)!;
      if (cursor.get(t)! >= list.length) continue;
      const share = virtualGpus.get(t)! / (state.quotas.get(t)?.weight ?? 1);
      if (share < bestShare) { bestShare = share; best = t; }
    }
    const list = perTenant.get(best)!;
    const i = cursor.get(best)!;
    const job = list[i]!;
    out.push(job);
    cursor.set(best, i + 1);
    virtualGpus.set(best, virtualGpus.get(best)! + gpusOf(job));
  }
  return out;
}

export const fairShareSort = { name: 'sort/fair-share', sort: (q, s) => fairMerge(q, s) } satisfies QueueSortPlugin;

/** Priority classes first (higher first), weighted fair share within a class. */
export const priorityFairSort = {
  name: 'sort/priority-fair-share',
  sort(q, s) {
    const levels = [...new Set(q.map((j) => j.priority))].sort((a, b) => b - a);
    return levels.flatMap((p) => fairMerge(q.filter((j) => j.priority === p), s));
  },
} satisfies QueueSortPlugin;
