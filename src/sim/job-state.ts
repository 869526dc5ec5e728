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
    const self = this; // eslint-disable-line @typescript-eslint/no-this-alias
    const s = this.spec;
    this.runView = {
      id: s.id, tenant: s.tenant, priority: s.priority, kind: s.kind, nodes: s.nodes, gpusPerNode: s.gpusPerNode,
      submitSeconds: s.submitSeconds, preemptible: s.preemptible, nodeIndices: this.nodes, startSeconds: this.allocStartSeconds,
      ...(this.gpuIndices !== undefined ? { gpuIndices: this.gpuIndices } : {}),
      ...(s.estimatedRuntimeSeconds !== undefined ? { estimatedRuntimeSeconds: s.estimatedRuntimeSeconds } : {}),
      get lastCheckpointSeconds(): number { return lastCheckpointAt(self, now()); },
    };
    return this.runView;
  }

  /** Productive seconds so far, counting unsaved work as done (for reports at the end). */
  get remainingSeconds(): number { return this.spec.workSeconds - this.savedSeconds; }
}
