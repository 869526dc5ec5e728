/**
 * The executor contract: how the control plane runs a job's ranks somewhere (this machine,
 * Slurm, the simulator). Adapters stay thin; every executor passes the same contract suite.
 */
import type { Tenancy } from './tenancy.ts';

/** What an executor needs to launch one attempt of a job. */
export interface LaunchSpec {
  readonly jobId: string;
  readonly attempt: number;
  readonly name: string;
  readonly command: readonly string[];
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly nodes: number;
  readonly ranksPerNode: number;
  readonly gpusPerNode: number;
  readonly checkpointDir: string;
  /** Names of the nodes chosen by the scheduler (empty: executor places, e.g. Slurm's own). */
  readonly nodeNames: readonly string[];
  /** Directory for this attempt's per-rank logs. */
  readonly logDir: string;
  /** GPU indices the scheduler assigned on each node (`CUDA_VISIBLE_DEVICES` of its ranks); absent: the first gpusPerNode. */
  readonly gpuIndices?: readonly (readonly number[])[];
  /** Seconds a rank may go without touching $GF_HEARTBEAT_FILE before it counts as hung (absent: liveness only). */
  readonly heartbeatTimeoutSeconds?: number;
  /** Whose job this is: its ranks run as the tenant's Unix user where the plane can switch users (absent: admin). */
  readonly tenant?: string;
}

/** What the store durably knows of an attempt it opened (before launch): enough to find it again. */
export interface AttemptRef {
  readonly jobId: string;
  readonly attempt: number;
  /** The executor's handle, when the plane lived long enough to record it. */
  readonly handle?: string;
  readonly logDir: string;
  /** Ranks of the gang (nodes x ranks per node). */
  readonly ranks: number;
}

/**
 * What became of an attempt while no plane watched it:
 * - `running`: re-adopted; its events (exit included) follow as usual;
 * - `finished`: it ended with this exit code (every rank's record read back), at `endSeconds`
 *   when the executor knows (the exit record's time), not when the new plane looked;
 * - `never-started`: no rank of it ever ran: requeue, counting no restart;
 * - `lost`: it started, but its processes are gone without a whole exit record (reboot, a
 *   half-launched gang, killed with the plane); whatever was left is stopped: requeue,
 *   counting no restart (the infrastructure failed, not the job).
 */
export type Recovery =
  | { readonly state: 'running' }
  | { readonly state: 'finished'; readonly exitCode: number; readonly reason: string; readonly endSeconds?: number }
  | { readonly state: 'never-started' | 'lost'; readonly reason: string };

/**
 * Lifecycle events of one attempt. `running`: every rank launched. `heartbeat`: ranks alive
 * (at most every few seconds). `exited`: the gang is over: exitCode 0 when every rank exited 0,
 * else the first non-zero code (a rank's death stops the whole gang). `failed`: the attempt
 * was lost to the infrastructure (heartbeat timeout, node lost, processes vanished). After
 * `stop()` an executor emits nothing more for that attempt.
 */
export type ExecutorEvent =
  | { readonly type: 'running'; readonly jobId: string; readonly attempt: number; readonly handle: string }
  | { readonly type: 'heartbeat'; readonly jobId: string; readonly attempt: number }
  | { readonly type: 'exited'; readonly jobId: string; readonly attempt: number; readonly exitCode: number; readonly reason: string; readonly atSeconds?: number }
  | { readonly type: 'failed'; readonly jobId: string; readonly attempt: number; readonly reason: string; readonly nodeLost?: string; /** Stopped by the executor's own scheduler (Slurm's PREEMPTED), not by a fault. */ readonly preempted?: boolean };

export interface Executor {
  readonly name: string;
  /** Starts all ranks of one attempt (gang). Resolves with an opaque handle once launched. */
  launch(spec: LaunchSpec): Promise<string>;
  /** Stops every process of the attempt. Idempotent. */
  stop(jobId: string, attempt: number, reason: string): Promise<void>;
  /** Re-adopts an attempt after a control-plane restart; false if its processes are gone. */
  adopt(jobId: string, attempt: number, handle: string): Promise<boolean>;
  /**
   * Optional: after a restart, tells an attempt's fate from its durable record (see Recovery),
   * with or without a handle. Only this plane's processes are looked at or signalled.
   */
  recover?(ref: AttemptRef): Promise<Recovery>;
  /**
   * Optional: called once by the plane before anything is launched or recovered, with the
   * plane's id (every process it launches must carry it) and its tenancy (whose Unix user
   * runs a tenant's ranks).
   */
  attachPlane?(plane: { readonly planeId: string; readonly tenancy: Tenancy }): void;
  /** Subscribes to lifecycle events. */
  onEvent(listener: (e: ExecutorEvent) => void): void;
  /** Releases resources (timers, child watchers) without killing adopted jobs. */
  close(): Promise<void>;
  /**
   * Optional: whether the executor's cluster reports this node usable (Slurm: not DOWN,
   * DRAINED or not responding). The scheduler skips nodes for which it returns false.
   */
  nodeUp?(nodeName: string): boolean;
  /**
   * Optional: for a node `nodeUp` reports unusable that the executor knows is being repaired
   * (the sim executor draws repair times from the failure model), when the repair should end,
   * seconds since the epoch; undefined when it is not in repair or the executor cannot tell
   * (Slurm: its node states say DOWN, not why). Such a node shows as `repair`, not `down`.
   */
  nodeRepairUntil?(nodeName: string): number | undefined;
}
