// Scenarios of the driver conformance suite, as data: a cluster, the jobs that arrive, what
// happens to them (cancels, node failures) and the renting policy. ./drivers.ts runs each one
// through the simulator and the live plane; ./lifecycle.test.ts requires identical logs.
// A new scenario is one more entry in SCENARIOS (plus, in the test, what it must show).
import type { ClusterNode, ClusterTopology, PoolSpec } from '../../src/fleet/types.ts';
import { gridTopology } from '../../src/sched/test-cluster.ts';

export interface Arrival {
  /** `job-N`, numbered in arrival order (the live store numbers jobs so). */
  readonly id: string;
  readonly at: number;
  readonly nodes: number;
  /** GPUs per node (default 8, whole nodes); fewer share a node, as Slurm's gres does. */
  readonly gpusPerNode?: number;
  readonly priority: number;
  readonly preemptible: boolean;
  /** Seconds of work; also the runtime estimate the scheduler gets. */
  readonly workSeconds: number;
}

export interface Scenario {
  readonly name: string;
  readonly policy: string;
  readonly topology: ClusterTopology;
  readonly horizonSeconds: number;
  readonly checkpointMinutes: number;
  readonly arrivals: readonly Arrival[];
  readonly cancels?: readonly { readonly id: string; readonly at: number }[];
  /** A GPU failure of `node` at `at`; repairs take longer than the run. */
  readonly failures?: readonly { readonly node: number; readonly at: number }[];
  /** Hot spares: the simulator holds `nodes`; the live plane keeps as many (the highest free indexes). */
  readonly spares?: { readonly nodes: readonly number[]; readonly minGpus: number };
  readonly rent?: { readonly pool: PoolSpec; readonly queueWaitThresholdSeconds: number; readonly idleReleaseSeconds: number };
}

const train = (id: string, at: number, nodes: number, workSeconds: number, over: Partial<Arrival> = {}): Arrival =>
  ({ id, at, nodes, priority: 10, preemptible: true, workSeconds, ...over });

/** `owned` 8-GPU nodes on leaf 0, then `pool.maxNodes` rented ones of `pool` on leaf 1. */
export function rentedTopology(owned: number, pool: PoolSpec): ClusterTopology {
  const base = gridTopology(1, 1, owned);
  const rented: ClusterNode[] = Array.from({ length: pool.maxNodes }, (_, k) => ({
    index: owned + k, name: `${pool.name}-${k}`, gpuType: 'h100', gpus: 8, leaf: 1, spine: 0, pool: pool.name, rented: true, pricePerGpuHourUsd: pool.pricePerGpuHourUsd,
  }));
  return { nodes: [...base.nodes, ...rented], leafCount: 2, spineCount: 1 };
}

/**
 * Arrivals, completions, a node failure under a gang swapped for the hot spare (a new attempt at
 * once, not counted), checkpoints, a checkpoint-aware preemption (the job that checkpointed loses
 * least and is taken, though it started first), the victim's requeue and resumption, a cancel
 * while queued and a cancel while running.
 */
export const FAILURE_SPARE_PREEMPT_CANCEL: Scenario = {
  name: 'failure, spare swap, checkpoint-aware preemption, cancels',
  policy: 'priority-preempt',
  topology: gridTopology(1, 1, 5),
  horizonSeconds: 86_400,
  checkpointMinutes: 10,
  arrivals: [
    train('job-1', 0, 2, 3000),
    train('job-2', 100, 2, 3000),
    // job-1 checkpointed at ~10 min, job-2 not yet: job-1 loses least and is preempted.
    train('job-3', 700, 2, 500, { priority: 100, preemptible: false }),
    train('job-4', 800, 1, 100),
    train('job-5', 1000, 1, 200),
  ],
  cancels: [{ id: 'job-4', at: 900 }, { id: 'job-2', at: 1500 }],
  failures: [{ node: 2, at: 300 }], // under job-2; node 4 is the hot spare
  spares: { nodes: [4], minGpus: 16 },
};

/** A small rented pool: 4 nodes that join 15 minutes after they are asked for. */
export const BURST_POOL: PoolSpec = { name: 'burst', provider: 'simulated', nodeType: 'hgx-h100', maxNodes: 4, pricePerGpuHourUsd: 3, leadTimeHours: 0.25, minimumHours: 0 };

/**
 * Rent and release: five owned nodes are busy; a burst waits past the threshold, so both drivers
 * provision rented nodes of the pool (the same decision at the same time); they join after the
 * lead time and the waiting jobs run on them, in the same placement pass as the owned nodes
 * (owned first); once idle for `idleReleaseSeconds` they are released. A preempted job waits
 * from its requeue, not from its submit, so the pool is asked only once it has waited that long.
 */
export const RENT_RELEASE: Scenario = {
  name: 'rent and release',
  policy: 'priority-preempt',
  topology: rentedTopology(5, BURST_POOL),
  horizonSeconds: 4 * 3600,
  checkpointMinutes: 10,
  arrivals: [
    train('job-1', 0, 2, 5000),
    train('job-2', 10, 2, 5000),
    train('job-3', 20, 1, 1000),
    // Preempts job-2 (it checkpointed later, so it loses least); job-2 waits from t=1000.
    train('job-4', 1000, 2, 1000, { priority: 100, preemptible: false }),
    // At t=1300 job-2 has waited 300 s since its requeue (below the threshold), 1290 s since its submit.
    train('job-5', 1300, 2, 600),
    // At t=1700 job-2 (700 s) is past the threshold: 2 nodes asked for; job-5 (400 s) is not.
    train('job-6', 1700, 1, 300),
    // One owned node and two idle rented ones are free: one placement pass over both takes them,
    // with no preemption (a pass over owned nodes alone would preempt for it).
    train('job-7', 3300, 2, 500, { priority: 100, preemptible: false }),
  ],
  rent: { pool: BURST_POOL, queueWaitThresholdSeconds: 600, idleReleaseSeconds: 1800 },
};

/**
 * Node sharing (Slurm's gres semantics): eight one-GPU jobs run at once on one 8-GPU node; that
 * node's loss interrupts all eight (requeued, not counted); they restart in the GPUs the four-GPU
 * jobs free on the other node; a whole-node job waits for a whole node; a queued job is cancelled.
 */
export const SHARING: Scenario = {
  name: 'sub-node jobs share nodes',
  policy: 'fifo',
  topology: gridTopology(1, 1, 2),
  horizonSeconds: 86_400,
  checkpointMinutes: 10,
  arrivals: [
    ...Array.from({ length: 8 }, (_, i) => train(`job-${i + 1}`, 0, 1, 1000, { gpusPerNode: 1, preemptible: false })),
    train('job-9', 10, 1, 2000, { gpusPerNode: 4, preemptible: false }),
    train('job-10', 20, 1, 2500, { gpusPerNode: 4, preemptible: false }),
    train('job-11', 30, 1, 500, { preemptible: false }),
  ],
  cancels: [{ id: 'job-8', at: 500 }],
  failures: [{ node: 0, at: 300 }],
};

export const SCENARIOS: readonly Scenario[] = [FAILURE_SPARE_PREEMPT_CANCEL, RENT_RELEASE, SHARING];
