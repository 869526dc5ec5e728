import type { RunningJob } from '../sched/types.ts';
import type { SimEvent } from './kernel.ts';
import { lastCheckpointAt, type Segment } from './progress.ts';
import type { WorkloadJob } from './types.ts';

/**
 * A job as code outside the engine sees it: every field read-only (the engine alone changes a
 * job's state). The object is the engine's own, so it reads the current state.
 */
export type JobView = {
  readonly [K in Exclude<keyof JobState, 'makeRunView' | 'finishEvent' | 'runView' | 'nodes' | 'gpuIndices'>]: JobState[K];
} & {
  readonly nodes: readonly number[];
  readonly gpuIndices: readonly (readonly number[])[] | undefined;
};

export type JobStatus = 'future' | 'queued' | 'running' | 'done' | 'cancelled';

/** A job's life in the simulator: where it runs, what it has saved, what it has cost. */
export class JobState implements Segment {
  readonly spec: WorkloadJob;
  /** Its index in the engine's job list (the engine's handle for it). */
  readonly index: number;
  readonly gpus: number;
  status: JobStatus = 'future';
  nodes: number[] = [];
  /** GPU indices held on each of `nodes` (undefined: whole nodes). */
  gpuIndices: number[][] | undefined;
  /** Checkpoint interval (Infinity: never saves) and blocking save time. */
  intervalSeconds = Infinity;
  saveSeconds = 0;
  /** Productive compute resumes here (after restart and load). */
  segStartSeconds = 0;
  allocStartSeconds = 0;
  /** Work safe in checkpoints (or, for jobs that stop cleanly, done), seconds at full speed. */
  savedSeconds = 0;
  firstStartSeconds: number | undefined;
  endSeconds: number | undefined;
  queuedSinceSeconds = 0;
  firstQueueSeconds: number | undefined;
  restarts = 0;
  preemptions = 0;
  interruptions = 0;
  allocatedGpuSeconds = 0;
  productiveGpuSeconds = 0;
  finishEvent: SimEvent | undefined;
  spread: { leaves: number; spines: number } | undefined;
  /** Replica recovery: replicas in the job and how many are out now. */
  replicas = 1;
  missingReplicas = 0;
  /** Replica recovery: time productive work was last integrated. */
  integratedToSeconds = 0;
  runView: RunningJob | undefined;

  constructor(spec: WorkloadJob, index: number) {
    this.spec = spec;
    this.index = index;
    this.gpus = spec.nodes * spec.gpusPerNode;
  }

  /** What the scheduler sees while it runs; lastCheckpointSeconds is read at the cycle's time. */
  makeRunView(now: () => number): RunningJob {
    this.runView = new SimRunningJob(this, now);
    return this.runView;
  }

  /** Productive seconds so far, counting unsaved work as done (for reports at the end). */
  get remainingSeconds(): number { return this.spec.workSeconds - this.savedSeconds; }
}

/**
 * A running job as the scheduler sees it. A class, so that every view shares one hidden class:
 * an object literal with its own `get lastCheckpointSeconds` got a hidden class of its own per
 * job, and the scheduler's loops over running jobs (preemption, backfill) read their fields
 * megamorphically. Absent optional fields are undefined here (the scheduler never tests `in`).
 */
class SimRunningJob implements RunningJob {
  readonly id: string;
  readonly tenant: string;
  readonly priority: number;
  readonly kind: WorkloadJob['kind'];
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly submitSeconds: number;
  readonly preemptible: boolean;
  /** The job's own node list (a spare swap changes it in place). */
  readonly nodeIndices: readonly number[];
  readonly startSeconds: number;
  readonly gpuIndices: readonly (readonly number[])[] | undefined;
  readonly estimatedRuntimeSeconds: number | undefined;
  readonly #segment: Segment;
  readonly #now: () => number;

  constructor(j: JobState, now: () => number) {
    const s = j.spec;
    this.id = s.id; this.tenant = s.tenant; this.priority = s.priority; this.kind = s.kind; this.nodes = s.nodes; this.gpusPerNode = s.gpusPerNode;
    this.submitSeconds = s.submitSeconds; this.preemptible = s.preemptible; this.nodeIndices = j.nodes; this.startSeconds = j.allocStartSeconds;
    this.gpuIndices = j.gpuIndices;
    this.estimatedRuntimeSeconds = s.estimatedRuntimeSeconds;
    this.#segment = j;
    this.#now = now;
  }

  get lastCheckpointSeconds(): number { return lastCheckpointAt(this.#segment, this.#now()); }
}
