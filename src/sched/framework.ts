import type { FreeIndex } from './free-index.ts';
import type { GangRequest } from './placement.ts';
import type { ClusterView, RunningJob, SchedJob, TenantQuota } from './types.ts';

/**
 * Extension points of one scheduling cycle (after the Kubernetes scheduling framework): each a
 * one-method interface plus `name`. A policy is a list of plug-ins (see registry.ts).
 */

/** Expected outcomes are values. `unschedulable`: try again next cycle (may fit later).
 * `unresolvable`: will never fit as the cluster is (bigger than the fleet); the driver should reject it. */
export type Status =
  | { readonly code: 'success' }
  | { readonly code: 'unschedulable' | 'unresolvable'; readonly reason: string; readonly plugin: string };

export const SUCCESS: Status = { code: 'success' };

/** Mutable per-cycle state: a snapshot that plug-ins read and the cycle updates as it admits. */
export interface CycleState {
  readonly nowSeconds: number;
  readonly view: ClusterView;
  readonly free: FreeIndex;
  /** Jobs started and preempted so far in this cycle (see `runningJobs`). */
  readonly startedThisCycle: RunningJob[];
  readonly preemptedThisCycle: Set<string>;
  /** GPUs in use per tenant. */
  readonly usageGpus: Map<string, number>;
  readonly quotas: ReadonlyMap<string, TenantQuota>;
}

export interface Plugin { readonly name: string }

/** Orders the pending queue once per cycle (head first). */
export interface QueueSortPlugin extends Plugin {
  sort(queue: readonly SchedJob[], state: CycleState): SchedJob[];
}

/** May this job be admitted now (quota)? Never blocks the queue: a refused job is skipped. */
export interface AdmitPlugin extends Plugin {
  admit(job: SchedJob, state: CycleState): Status;
}

/** Runs when a job does not fit: returns running jobs whose eviction would let it fit, or null. */
export interface PreemptPlugin extends Plugin {
  victims(job: SchedJob, state: CycleState): RunningJob[] | null;
}

/** Whether later jobs may start after the head job is blocked, and which. */
export interface BackfillPlugin extends Plugin {
  /**
   * Called once, for the first job that does not fit; returns a guard for the jobs after it,
   * carrying the head's reserved start time (`shadowSeconds`, Infinity: unknown).
   */
  reserve(head: SchedJob, state: CycleState): BackfillGuard;
}

export type BackfillGuard = ((job: SchedJob) => boolean) & { readonly shadowSeconds?: number };

export interface Policy {
  readonly name: string;
  readonly sort: QueueSortPlugin;
  readonly admit: readonly AdmitPlugin[];
  readonly preempt: readonly PreemptPlugin[];
  /** Absent: strict head-of-line blocking when `strict`, else skip jobs that do not fit. */
  readonly backfill?: BackfillPlugin;
  readonly strict: boolean;
}

export const gpusOf = (j: SchedJob): number => j.nodes * j.gpusPerNode;

/** What placement needs of a job in this cycle (GPUs, type, whether nodes are shared). */
export const requestOf = (j: SchedJob, state: CycleState): GangRequest => ({
  nodes: j.nodes, gpusPerNode: j.gpusPerNode, shareNodes: state.view.shareNodes === true,
  ...(j.gpuType !== undefined ? { gpuType: j.gpuType } : {}),
});

/** Work a running job would lose if stopped now: time since its last checkpoint (or start). */
export const lostWorkSeconds = (j: RunningJob, nowSeconds: number): number =>
  Math.max(0, nowSeconds - (j.lastCheckpointSeconds ?? j.startSeconds));

/**
 * Running jobs as of now in the cycle: the view's, minus those preempted, plus those started
 * (unless `includeStarted` is false: preemption never takes a job started in the same cycle).
 * O(running), no map.
 */
export function runningJobs(state: CycleState, includeStarted = true): RunningJob[] {
  const pre = state.preemptedThisCycle;
  const out = pre.size === 0 ? [...state.view.running] : state.view.running.filter((r) => !pre.has(r.id));
  if (includeStarted) for (const r of state.startedThisCycle) if (!pre.has(r.id)) out.push(r);
  return out;
}

/**
 * The view's running jobs that `keep` accepts, minus those preempted this cycle (never those
 * started this cycle: preemption does not take them), in the view's order. The same as
 * `runningJobs(state, false).filter(keep)` in one pass, without the copy: preemption plug-ins
 * ask this for every job that does not fit, so it is on the scheduler's hot path.
 */
export function runningWhere(state: CycleState, keep: (r: RunningJob) => boolean): RunningJob[] {
  const pre = state.preemptedThisCycle;
  const out: RunningJob[] = [];
  for (const r of state.view.running) if (keep(r) && !(pre.size > 0 && pre.has(r.id))) out.push(r);
  return out;
}
