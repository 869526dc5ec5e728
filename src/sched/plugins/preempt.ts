import { placeJob, roomFor } from '../placement.ts';
import { gpusOf, lostWorkSeconds, requestOf, runningJobs, type CycleState, type PreemptPlugin } from '../framework.ts';
import type { RunningJob, SchedJob } from '../types.ts';
import { borrowedGpus, quotaOf } from './quota.ts';

/**
 * The work a victim loses if stopped now, weighted by its size: seconds since its last
 * checkpoint (or since its start, when it has none) x the GPUs it holds. A small job that has
 * not checkpointed for a while can lose less than a big one that checkpointed a minute ago.
 */
export const lostGpuSeconds = (j: RunningJob, nowSeconds: number): number => lostWorkSeconds(j, nowSeconds) * gpusOf(j);

/**
 * Chooses victims among `candidates` so that `job` fits, losing the least work: candidates are
 * taken in order of lost GPU-seconds (`lostGpuSeconds`, least first; ties, such as jobs without
 * GPUs: fewer lost seconds, then lower priority, then the later start, then id), until enough
 * nodes would have room (the nodes with room now, `roomFor`, which counts a partly used node with
 * the job's GPUs free when it shares nodes, plus each victim's nodes); then a placement is
 * computed on that hypothetical free set and only the victims whose nodes the placement uses are kept.
 * Null when even all candidates are not enough.
 */
export function chooseVictims(job: SchedJob, state: CycleState, candidates: RunningJob[]): RunningJob[] | null {
  const now = state.nowSeconds;
  const lost = new Map(candidates.map((c) => [c, lostWorkSeconds(c, now)]));
  const weighted = new Map(candidates.map((c) => [c, lostGpuSeconds(c, now)]));
  candidates.sort((a, b) => weighted.get(a)! - weighted.get(b)! || lost.get(a)! - lost.get(b)! || a.priority - b.priority || b.startSeconds - a.startSeconds || (a.id < b.id ? -1 : 1));
  const request = requestOf(job, state);
  let avail = roomFor(state.free, request);
  const chosen: RunningJob[] = [];
  for (const c of candidates) {
    if (avail >= job.nodes) break;
    chosen.push(c);
    avail += c.nodeIndices.length;
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
    const c = runningJobs(state, false).filter((r) => r.preemptible && r.priority < job.priority);
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
    const c = runningJobs(state, false).filter((r) => r.tenant !== job.tenant && r.preemptible && borrowedGpus(state, r.tenant) >= gpusOf(r));
    return c.length === 0 ? null : chooseVictims(job, state, c);
  },
} satisfies PreemptPlugin;
