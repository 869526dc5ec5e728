import { placeJob, roomFor } from '../placement.ts';
import { gpusOf, lostWorkSeconds, requestOf, runningWhere, type CycleState, type PreemptPlugin } from '../framework.ts';
import type { RunningJob, SchedJob } from '../types.ts';
import { borrowedGpus, quotaOf } from './quota.ts';

/**
 * The work a victim loses if stopped now, weighted by its size: seconds since its last
 * checkpoint (or since its start, when it has none) x the GPUs it holds. A small job that has
 * not checkpointed for a while can lose less than a big one that checkpointed a minute ago.
 */
export const lostGpuSeconds = (j: RunningJob, nowSeconds: number): number => lostWorkSeconds(j, nowSeconds) * gpusOf(j);

/**
 * Chooses victims among `candidates` so that `job` fits, losing the least work. The greedy of
 * weighted set cover: each step takes the candidate with the fewest lost GPU-seconds
 * (`lostGpuSeconds`) per node it frees that the job still needs (its nodes, capped at the
 * remaining need), until enough nodes would be free. Capping matters both ways: for one missing
 * node the least total loss wins (a small stale job before a big fresh one), while for many
 * missing nodes one big job that just checkpointed beats the same nodes freed by many small jobs
 * that each lose more per node. Ties: fewer lost GPU-seconds, fewer lost seconds (jobs without
 * GPUs), lower priority, later start, id. Then a placement is computed on that hypothetical free
 * set and only the victims whose nodes the placement uses are kept.
 * Null when even all candidates are not enough.
 */
export function chooseVictims(job: SchedJob, state: CycleState, candidates: readonly RunningJob[]): RunningJob[] | null {
  // Not enough even with every candidate: no need to rank them.
  // Nodes with room now (`roomFor`: a partly used node with the job's GPUs free counts when it
  // shares nodes), plus each victim's nodes.
  const request = requestOf(job, state);
  const room = roomFor(state.free, request);
  let all = room;
  for (const c of candidates) all += c.nodeIndices.length;
  if (all < job.nodes) return null;
  // Each key once per candidate (`lastCheckpointSeconds` may be a getter), not once per comparison.
  const now = state.nowSeconds;
  const ranked = candidates.map((c) => { const lost = lostWorkSeconds(c, now); return { c, lost, weighted: lost * gpusOf(c), nodes: c.nodeIndices.length }; });
  ranked.sort((a, b) => a.weighted - b.weighted || a.lost - b.lost || a.c.priority - b.c.priority || b.c.startSeconds - a.c.startSeconds || (a.c.id < b.c.id ? -1 : 1));
  let avail = room;
  const chosen: RunningJob[] = [];
  const taken = new Uint8Array(ranked.length);
  while (avail < job.nodes) {
    const need = job.nodes - avail;
    let best = -1;
    let bestCost = Infinity;
    // In ranked order, so an equal cost per node keeps the tie-breaks above.
    for (let i = 0; i < ranked.length; i++) {
      if (taken[i]) continue;
      const r = ranked[i]!;
      const cost = r.weighted / Math.max(1, Math.min(r.nodes, need));
      if (cost < bestCost) { best = i; bestCost = cost; }
    }
    if (best < 0) break;
    taken[best] = 1;
    chosen.push(ranked[best]!.c);
    avail += ranked[best]!.nodes;
  }
  if (avail < job.nodes) return null;
  const mark = state.free.mark();
  for (const v of chosen) state.free.releaseJob(v, (n) => state.view.nodeUp(n));
  const placed = placeJob(state.free, request);
  state.free.rollback(mark);
  if (!placed) return null;
  const used = new Set(placed.nodeIndices);
  return chosen.filter((v) => v.nodeIndices.some((n) => used.has(n)));
}

/** Priority preemption: lower-priority preemptible jobs make room for a higher-priority one. */
export const priorityPreempt = {
  name: 'preempt/priority',
  victims(job, state) {
    const c = runningWhere(state, (r) => r.preemptible && r.priority < job.priority);
    return c.length === 0 ? null : chooseVictims(job, state, c);
  },
} satisfies PreemptPlugin;

/**
 * Reclaim: a tenant within its guarantee takes back GPUs that other tenants borrowed. Only jobs
 * of tenants over their guarantee by at least the job's size are candidates, whatever their
 * priority, so reclaim takes borrowed GPUs and never a guaranteed share.
 */
export const quotaReclaim = {
  name: 'preempt/reclaim',
  victims(job, state) {
    if (state.quotas.size === 0) return null;
    const q = quotaOf(state, job.tenant);
    if ((state.usageGpus.get(job.tenant) ?? 0) + gpusOf(job) > q.guaranteedGpus) return null;
    let anyBorrowing = false;
    for (const t of state.usageGpus.keys()) if (t !== job.tenant && borrowedGpus(state, t) > 0) anyBorrowing = true;
    if (!anyBorrowing) return null;
    // Only jobs that fit inside what their tenant borrowed: reclaim never cuts into a guarantee.
    // Borrowed GPUs per tenant once per call, not once per running job.
    const borrowed = new Map<string, number>();
    const borrowedBy = (t: string): number => { let b = borrowed.get(t); if (b === undefined) { b = borrowedGpus(state, t); borrowed.set(t, b); } return b; };
    const c = runningWhere(state, (r) => r.tenant !== job.tenant && r.preemptible && borrowedBy(r.tenant) >= gpusOf(r));
    return c.length === 0 ? null : chooseVictims(job, state, c);
  },
} satisfies PreemptPlugin;
