import type { ClusterTopology } from '../fleet/types.ts';
import type { FreeIndex } from './free-index.ts';

/**
 * The scheduler core's contract, shared by the simulator (virtual clock) and the live control
 * plane (wall clock): one scheduler, two clocks. Pure: no I/O, no ambient time; `nowSeconds`
 * is passed in. Extend with optional fields only; both drivers depend on it.
 */

export type JobKind = 'train' | 'serve' | 'batch' | 'eval';

/** A job as the scheduler sees it: a gang of `nodes` nodes x `gpusPerNode` GPUs. */
export interface SchedJob {
  readonly id: string;
  readonly tenant: string;
  /** Higher runs first and may preempt lower. */
  readonly priority: number;
  readonly kind: JobKind;
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly submitSeconds: number;
  /** User's runtime estimate (backfill); absent: unknown, never backfilled ahead of a reservation. */
  readonly estimatedRuntimeSeconds?: number;
  /** May be preempted by higher priority work. */
  readonly preemptible: boolean;
  /** Only nodes with this GPU type (Slurm `--gres=gpu:TYPE:N`); absent: any type. */
  readonly gpuType?: string;
}

/** A job holding nodes now. */
export interface RunningJob extends SchedJob {
  readonly nodeIndices: readonly number[];
  /** GPU indices held on each of `nodeIndices` (absent: whole nodes). */
  readonly gpuIndices?: readonly (readonly number[])[];
  readonly startSeconds: number;
  /** Time of its last completed checkpoint (work since then is lost on preemption). */
  readonly lastCheckpointSeconds?: number;
}

/** Per-tenant guaranteed GPUs and how much more it may borrow from idle quota. */
export interface TenantQuota {
  readonly tenant: string;
  readonly guaranteedGpus: number;
  /** Extra GPUs it may borrow when others are idle (Infinity: unlimited). */
  readonly borrowLimitGpus: number;
  /** Fair-share weight. */
  readonly weight: number;
}

/** A snapshot of the cluster for one scheduling cycle. */
export interface ClusterView {
  readonly topology: ClusterTopology;
  /** Node is usable (not down, not draining, provisioned). Index = node index. */
  readonly nodeUp: (nodeIndex: number) => boolean;
  readonly running: readonly RunningJob[];
  readonly quotas: readonly TenantQuota[];
  /** Nodes held aside as hot spares for the largest jobs. */
  readonly spareNodes?: readonly number[];
  /**
   * Optional prebuilt free-node index consistent with `nodeUp`, `running` and `spareNodes` (a
   * driver that maintains one incrementally passes it to skip an O(nodes) rebuild per cycle).
   * The scheduler clones it and never mutates it.
   */
  readonly freeIndex?: FreeIndex;
  /** Optional GPUs in use per tenant, consistent with `running` (saves an O(running) sum per cycle). */
  readonly usageGpusByTenant?: ReadonlyMap<string, number>;
  /**
   * The driver runs several jobs on one node (Slurm's gres sharing): a job asking fewer GPUs
   * per node than a node has takes only those (`start.gpuIndices`). Absent: whole nodes only.
   */
  readonly shareNodes?: boolean;
}

export type Decision =
  /** `gpuIndices[i]`: the GPU indices the job holds on `nodeIndices[i]` (all of them for a whole node). */
  | { readonly kind: 'start'; readonly jobId: string; readonly nodeIndices: readonly number[]; readonly gpuIndices?: readonly (readonly number[])[] }
  | { readonly kind: 'preempt'; readonly jobId: string; readonly reason: string; readonly forJobId: string }
  | { readonly kind: 'provision'; readonly pool: string; readonly nodes: number; readonly reason: string }
  | { readonly kind: 'release'; readonly pool: string; readonly nodeIndices: readonly number[] };

/**
 * Why a queued job waits, as Slurm's REASON column: a short code plus words.
 * - Resources: the job is next in line and not enough nodes or GPUs are free;
 * - Priority: jobs ahead of it (by the policy's order) wait, or it would delay the head's reservation;
 * - QuotaExceeded: its tenant's quota (guarantee + borrowing) would be exceeded;
 * - NodeDown: it needs more nodes than are in service (some are down or drained);
 * - WaitingForRentedNodes: rented nodes on their way will serve it (set by the lifecycle's
 *   rentWaitReasons after the rent decision, not by the scheduler);
 * - WaitingForSpares: its gang waits for a hot spare (set by the lifecycle, not the scheduler).
 */
export type PendingCode = 'Resources' | 'Priority' | 'QuotaExceeded' | 'NodeDown' | 'WaitingForRentedNodes' | 'WaitingForSpares';

export interface PendingReason {
  readonly code: PendingCode;
  readonly message: string;
  /** The head of the queue: when the backfill reservation expects it to start (absent: unknown). */
  readonly estimatedStartSeconds?: number;
}

/** A cycle's decisions plus, for every queued job not started, why it waits. */
export interface ExplainedCycle {
  readonly decisions: Decision[];
  readonly pending: ReadonlyMap<string, PendingReason>;
}

export interface Scheduler {
  readonly name: string;
  /**
   * One scheduling cycle: given the pending queue (any order) and the cluster, decide which
   * jobs start where, which to preempt, and capacity to provision. Deterministic for the same
   * inputs. Gang: a `start` always carries exactly `nodes` node indices. Drivers apply the
   * decisions in order: a `preempt` comes before the `start` that uses its nodes.
   */
  schedule(view: ClusterView, queue: readonly SchedJob[], nowSeconds: number): Decision[];
  /** The same cycle as `schedule` (same decisions), with the pending reason of every job left queued. */
  scheduleExplained?(view: ClusterView, queue: readonly SchedJob[], nowSeconds: number): ExplainedCycle;
}
