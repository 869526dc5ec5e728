import { FreeIndex } from './free-index.ts';
import { placeJob, type Placement } from './placement.ts';
import { gpusOf, requestOf, type BackfillGuard, type BackfillPlugin, type CycleState, type Policy } from './framework.ts';
import { reserve } from './plugins/backfill.ts';
import type { ClusterView, Decision, ExplainedCycle, PendingReason, RunningJob, SchedJob, Scheduler } from './types.ts';

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
    return this.run(view, queue, nowSeconds, null);
  }

  scheduleExplained(view: ClusterView, queue: readonly SchedJob[], nowSeconds: number): ExplainedCycle {
    const pending = new Map<string, PendingReason>();
    return { decisions: this.run(view, queue, nowSeconds, pending), pending };
  }

  private run(view: ClusterView, queue: readonly SchedJob[], nowSeconds: number, pending: Map<string, PendingReason> | null): Decision[] {
    // The driver's index is used in place under an undo journal and restored before returning.
    const free = freeIndexOf(view);
    const mark = free.mark();
    try {
      return this.cycle(view, queue, nowSeconds, free, pending);
    } finally {
      free.rollback(mark);
    }
  }

  /** `pending`: when given, filled with the reason of every job left queued (pure, additive). */
  private cycle(view: ClusterView, queue: readonly SchedJob[], nowSeconds: number, free: FreeIndex, pending: Map<string, PendingReason> | null): Decision[] {
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
    let guard: BackfillGuard | null = null;
    let head: SchedJob | null = null;
    let upNodes: number | undefined;
    for (const job of ordered) {
      // Strict head-of-line blocking: everything behind the blocked head waits.
      if (head && this.policy.strict && !guard) {
        if (!pending) break;
        pending.set(job.id, behind(head));
        continue;
      }
      // 3. Admit.
      const refused = this.refusal(job, state);
      if (refused) { pending?.set(job.id, { code: 'QuotaExceeded', message: refused }); continue; }
      if (guard && !guard(job)) { pending?.set(job.id, behind(head!, true)); continue; }
      // 4. Place, else preempt and place.
      let placed = placeJob(state.free, requestOf(job, state));
      if (!placed && !guard) placed = this.preemptFor(job, state, decisions);
      if (placed) {
        this.start(job, placed, state, decisions);
        continue;
      }
      // 5. Blocked.
      if (pending) {
        upNodes ??= countUp(view);
        pending.set(job.id, blocked(job, state, upNodes, head === null ? estimateStart(job, state, this.policy.backfill) : undefined));
      }
      if (guard) continue;
      head ??= job;
      if (this.policy.backfill) guard = this.policy.backfill.reserve(job, state);
    }
    return decisions;
  }

  /** The first admit plug-in's refusal, or null when all admit the job. */
  private refusal(job: SchedJob, state: CycleState): string | null {
    for (const a of this.policy.admit) {
      const st = a.admit(job, state);
      if (st.code !== 'success') return st.reason;
    }
    return null;
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
    // Field by field, not `{ ...job }`: spreading the driver's job objects (of many shapes) took
    // V8's slow path: about 6% of the simulator's CPU on colossus-100k grok (CPU profile).
    const r: RunningJob = {
      id: job.id, tenant: job.tenant, priority: job.priority, kind: job.kind, nodes: job.nodes, gpusPerNode: job.gpusPerNode,
      submitSeconds: job.submitSeconds, estimatedRuntimeSeconds: job.estimatedRuntimeSeconds, preemptible: job.preemptible, gpuType: job.gpuType,
      nodeIndices: p.nodeIndices, gpuIndices: p.gpuIndices, startSeconds: state.nowSeconds, lastCheckpointSeconds: state.nowSeconds,
    };
    state.startedThisCycle.push(r);
  }
}

/** A job waiting behind the blocked head (strict order) or kept out of the head's reservation (backfill). */
function behind(head: SchedJob, backfill = false): PendingReason {
  return backfill
    ? { code: 'Priority', message: `would delay the reserved start of ${head.id}, ahead of it in the queue (no runtime estimate, or too long for the hole)` }
    : { code: 'Priority', message: `waiting behind ${head.id}, ahead of it in the queue and waiting for resources` };
}

/**
 * Why a job that was next in line did not fit: nodes out of service, or busy. Rented nodes on the
 * way are the driver's to add, after its rent decision (lifecycle/rent-wait.ts).
 */
function blocked(job: SchedJob, state: CycleState, upNodes: number, estimatedStartSeconds: number | undefined): PendingReason {
  const at = estimatedStartSeconds !== undefined && Number.isFinite(estimatedStartSeconds) ? { estimatedStartSeconds } : {};
  const { view } = state;
  const what = `${job.nodes} node(s) x ${job.gpusPerNode} GPU(s)${job.gpuType !== undefined ? ` of type ${job.gpuType}` : ''}`;
  if (upNodes < job.nodes) return { code: 'NodeDown', message: `needs ${what}; only ${upNodes} node(s) are in service (others down or drained)`, ...at };
  const spares = view.spareNodes?.filter((i) => view.nodeUp(i)).length ?? 0;
  if (upNodes - spares < job.nodes) return { code: 'Resources', message: `needs ${what}; only ${upNodes - spares} node(s) in service outside the ${spares} hot spare(s) (up --spares), which only a gang that loses a node takes`, ...at };
  return { code: 'Resources', message: `needs ${what}; not enough free now`, ...at };
}

/** Nodes in service (once per explained cycle, O(nodes)). */
function countUp(view: ClusterView): number {
  let up = 0;
  for (let i = 0; i < view.topology.nodes.length; i++) if (view.nodeUp(i)) up++;
  return up;
}

/** The head's expected start: the backfill reservation (EASY's shadow time), with or without backfill. */
function estimateStart(job: SchedJob, state: CycleState, backfill: BackfillPlugin | undefined): number | undefined {
  return (backfill ? backfill.reserve(job, state) : reserve(job, state)).shadowSeconds;
}
