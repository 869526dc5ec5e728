import { gridTopology } from '../sched/test-cluster.ts';
import { DEFAULT_FAILURE_MODEL } from './failures.ts';
import type { SimOptions, Workload, WorkloadJob } from './types.ts';

/** Options for tests: no random failures unless asked, no spares, 1-second cycles. */
export function testOptions(over: Partial<SimOptions> = {}): SimOptions {
  return {
    days: 1, seed: 1, policy: 'default', checkpointMinutes: 10,
    failures: { ...DEFAULT_FAILURE_MODEL, failuresPer1000NodeDays: 0, plannedInterruptionsPerDay: 0 },
    spares: 0, spareMinGpus: 4096, cycleSeconds: 1, ...over,
  };
}

export function trainJob(id: string, nodes: number, over: Partial<WorkloadJob> = {}): WorkloadJob {
  return {
    id, tenant: 't', priority: 10, kind: 'train', nodes, gpusPerNode: 8, submitSeconds: 0, workSeconds: 3600,
    estimatedRuntimeSeconds: 3600, preemptible: true, checkpoints: true, recovery: 'gang', ...over,
  };
}

export const workloadOf = (jobs: WorkloadJob[], over: Partial<Workload> = {}): Workload =>
  ({ name: 'test', jobs, services: [], rejected: [], quotas: [], ...over });

export { gridTopology };
