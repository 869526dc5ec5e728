/**
 * The executor contract: how the control plane runs a job's ranks somewhere (this machine,
 * Slurm, the simulator). Adapters stay thin; every executor passes the same contract suite.
 */

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
}

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
  | { readonly type: 'exited'; readonly jobId: string; readonly attempt: number; readonly exitCode: number; readonly reason: string }
  | { readonly type: 'failed'; readonly jobId: string; readonly attempt: number; readonly reason: string; readonly nodeLost?: string };

export interface Executor {
  readonly name: string;
  /** Starts all ranks of one attempt (gang). Resolves with an opaque handle once launched. */
  launch(spec: LaunchSpec): Promise<string>;
  /** Stops every process of the attempt. Idempotent. */
  stop(jobId: string, attempt: number, reason: string): Promise<void>;
  /** Re-adopts an attempt after a control-plane restart; false if its processes are gone. */
  adopt(jobId: string, attempt: number, handle: string): Promise<boolean>;
  /** Subscribes to lifecycle events. */
  onEvent(listener: (e: ExecutorEvent) => void): void;
  /** Releases resources (timers, child watchers) without killing adopted jobs. */
  close(): Promise<void>;
  /**
   * Optional: whether the executor's cluster reports this node usable (Slurm: not DOWN,
   * DRAINED or not responding). The scheduler skips nodes for which it returns false.
   */
  nodeUp?(nodeName: string): boolean;
}
