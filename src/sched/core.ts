import { FreeIndex } from './free-index.ts';
import { placeJob, type Placement } from './placement.ts';
import { gpusOf, requestOf, type CycleState, type Policy } from './framework.ts';
import type { ClusterView, Decision, RunningJob, SchedJob, Scheduler } from './types.ts';

/** Builds the cycle's free index from the view (O(nodes)) unless the driver passed one. */
export function freeIndexOf(view: ClusterView): FreeIndex {
  if (view.freeIndex) return view.freeIndex;
  const free = FreeIndex.empty(view.topology);
  for (const n of view.topology.nodes) if (view.nodeUp(n.index)) free.release(n.index);
  for (const r of view.running) free.takeJob(r);
  if (view.spareNodes) free.takeAll(view.spareNodes);
  return free;
}

/**
 * One scheduler built from a policy's plug-ins. The cycle:
 * 1. Snapshot: clone the free index, sum GPUs per tenant.
 * 2. Order the queue (QueueSort).
 * 3. For each job: quota (Admit; refused jobs are skipped, they never block);
 *    if a reservation is active, the backfill guard must allow it.
 * 4. Place the gang (topology-aware, all or nothing); if it does not fit, ask the preemption
 *    plug-ins for victims and place on the nodes they free.
 * 5. Still blocked: strict policies stop here (head-of-line); backfill reserves for this head
 *    and continues with the guard; others skip the job.
 * Pure: no clock but `nowSeconds`, no I/O, no randomness.
 */
export class PolicyScheduler implements Scheduler {
  readonly name: string;
  private readonly policy: Policy;
  constructor(policy: Policy) { this.policy = policy; this.name = policy.name; }

  schedule(view: ClusterView, queue: readonly SchedJob[], nowSeconds: number): Decision[] {
    if (queue.length === 0) return [];
    // The driver's index is used in place under an undo journal and restored before returning.
    const free = freeIndexOf(view);
    const mark = free.mark();
    try {
      return this.cycle(view, queue, nowSeconds, free);
    } finally {
      free.rollback(mark);
    }
  }

  private cycle(view: ClusterView, queue: readonly SchedJob[], nowSeconds: number, free: FreeIndex): Decision[] {
    const decisions: Decision[] = [];
    // 1. Snapshot: GPUs per tenant (from the driver when it keeps them).
    const usageGpus = new Map<string, number>(view.usageGpusByTenant ?? []);
    if (!view.usageGpusByTenant) for (const r of view.running) usageGpus.set(r.tenant, (usageGpus.get(r.tenant) ?? 0) + gpusOf(r));
    const state: CycleState = {
      nowSeconds, view, free, usageGpus,
      quotas: new Map(view.quotas.map((q) => [q.tenant, q])),
      startedThisCycle: [], preemptedThisCycle: new Set(),
    };
    // 2. Order.
    const ordered = this.policy.sort.sort(queue, state);
    let guard: ((j: SchedJob) => boolean) | null = null;
    for (const job of ordered) {
      // 3. Admit.
      if (this.policy.admit.some((a) => a.admit(job, state).code !== 'success')) continue;
      if (guard && !guard(job)) continue;
      // 4. Place, else preempt and place.
      let placed = placeJob(state.free, requestOf(job, state));
      if (!placed && !guard) placed = this.preemptFor(job, state, decisions);
      if (placed) {
        this.start(job, placed, state, decisions);
        continue;
      }
      // 5. Blocked.
      if (guard) continue;
      if (this.policy.backfill) guard = this.policy.backfill.reserve(job, state);
      else if (this.policy.strict) break;
    }
    return decisions;
  }

  private preemptFor(job: SchedJob, state: CycleState, decisions: Decision[]): Placement | null {
    for (const p of this.policy.preempt) {
      const victims = p.victims(job, state);
      if (!victims || victims.length === 0) continue;
      for (const v of victims) {
        decisions.push({ kind: 'preempt', jobId: v.id, reason: p.name, forJobId: job.id });
        state.preemptedThisCycle.add(v.id);
        state.usageGpus.set(v.tenant, (state.usageGpus.get(v.tenant) ?? 0) - gpusOf(v));
        state.free.releaseJob(v, (n) => state.view.nodeUp(n));
      }
      const placed = placeJob(state.free, requestOf(job, state));
      if (placed) return placed;
    }
    return null;
  }

  private start(job: SchedJob, p: Placement, state: CycleState, decisions: Decision[]): void {
    decisions.push({ kind: 'start', jobId: job.id, nodeIndices: p.nodeIndices, gpuIndices: p.gpuIndices });
    state.free.takeJob(p);
    state.usageGpus.set(job.tenant, (state.usageGpus.get(job.tenant) ?? 0) + gpusOf(job));
    const r: RunningJob = { ...job, nodeIndices: p.nodeIndices, gpuIndices: p.gpuIndices, startSeconds: state.nowSeconds, lastCheckpointSeconds: state.nowSeconds };
    state.startedThisCycle.push(r);
  }
}
