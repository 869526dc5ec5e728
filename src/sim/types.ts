import type { PoolSpec } from '../fleet/types.ts';
import type { RecoveryMode } from '../sched/lifecycle/index.ts';
import type { SchedJob, TenantQuota } from '../sched/types.ts';
import type { FailureModel } from './failures.ts';

/** How a training job recovers from a node failure (the lifecycle's recovery choice). */
export type { RecoveryMode };

/** One job of a workload, as submitted: what the scheduler sees, plus how it runs in the twin. */
export interface WorkloadJob extends SchedJob {
  /** Seconds of compute at full speed; Infinity: runs to the end of the simulation. */
  readonly workSeconds: number;
  /** Saves checkpoints (training); others restart from scratch after an interruption. */
  readonly checkpoints: boolean;
  readonly recovery: RecoveryMode;
  /** Nodes per data-parallel replica (recovery `replica`). */
  readonly replicaNodes?: number;
  /** Final state recorded in the source trace (e.g. completed), when the trace has one. */
  readonly traceStatus?: string;
  /** A planned job: the model it trains, its planned throughput and where that came from (sizing.ts). */
  readonly model?: string;
  readonly tokensPerSecondPerGpu?: number;
  readonly sizedBy?: string;
}

/** A chat inference service whose replicas follow a daily load curve (autoscaled). */
export interface ServiceSpec {
  readonly id: string;
  readonly tenant: string;
  readonly priority: number;
  readonly nodesPerReplica: number;
  /** GPUs each replica uses on each of its nodes. */
  readonly gpusPerNode: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly capacityTokensPerSecondPerReplica: number;
  /** Output tokens per second demanded at the daily peak. */
  readonly peakOutputTokensPerSecond: number;
  /** Demand at the daily trough as a fraction of the peak. */
  readonly troughFraction: number;
  /** Hour of day (0-24) of the peak. */
  readonly peakHour: number;
  /** A planned service: its model, GPUs per replica, output tokens/s per GPU and where they came from (sizing.ts). */
  readonly model?: string;
  readonly gpusPerReplica?: number;
  readonly tokensPerSecondPerGpu?: number;
  readonly sizedBy?: string;
}

/** A row the workload reader refused, with where and why. */
export interface RejectedJob {
  readonly id: string;
  readonly reason: string;
}

export interface Workload {
  readonly name: string;
  readonly jobs: readonly WorkloadJob[];
  readonly services: readonly ServiceSpec[];
  readonly rejected: readonly RejectedJob[];
  readonly quotas: readonly TenantQuota[];
}

/** Renting: when to ask for nodes and when to give them back. */
export interface RentPolicy {
  readonly pool: PoolSpec;
  /** Rent when the oldest queued job has waited longer than this. */
  readonly queueWaitThresholdSeconds: number;
  /** Give a rented node back after it has been idle this long (and its minimum term is over). */
  readonly idleReleaseSeconds: number;
}

export interface SimOptions {
  readonly days: number;
  readonly seed: number;
  readonly policy: string;
  /** Checkpoint interval in minutes, or 'auto' for the Daly optimum per job. */
  readonly checkpointMinutes: number | 'auto';
  readonly failures: FailureModel;
  /** Hot spare nodes: a count or 'auto' (99th percentile of nodes in repair, failures.ts). */
  readonly spares: number | 'auto';
  /** Jobs at least this large (GPUs) get spares swapped in on failure. */
  readonly spareMinGpus: number;
  readonly rent?: RentPolicy;
  /** Shortest time between two scheduling cycles (Slurm's sched_interval idea). */
  readonly cycleSeconds: number;
  /** Called now and then with simulated seconds done (progress bar at the edge). */
  readonly onProgress?: (simSeconds: number) => void;
}

export const DEFAULT_SIM = {
  policy: 'default',
  checkpointMinutes: 'auto' as const,
  spares: 'auto' as const,
  spareMinGpus: 4096,
  cycleSeconds: 30,
  queueWaitThresholdSeconds: 3600,
  idleReleaseSeconds: 3600,
};
