import type { ClusterNode, ClusterTopology } from '../fleet/types.ts';
import type { ClusterView, RunningJob, SchedJob, TenantQuota } from './types.ts';

/**
 * Small hand-made clusters for tests and benches: `spines` x `leavesPerSpine` x `nodesPerLeaf`
 * 8-GPU nodes, numbered leaf by leaf.
 */
export function gridTopology(spines: number, leavesPerSpine: number, nodesPerLeaf: number, pool = 'hall'): ClusterTopology {
  const nodes: ClusterNode[] = [];
  for (let s = 0; s < spines; s++) {
    for (let l = 0; l < leavesPerSpine; l++) {
      const leaf = s * leavesPerSpine + l;
      for (let k = 0; k < nodesPerLeaf; k++) {
        const index = nodes.length;
        nodes.push({ index, name: `n${index}`, gpuType: 'h100', gpus: 8, leaf, spine: s, pool, rented: false });
      }
    }
  }
  return { nodes, leafCount: spines * leavesPerSpine, spineCount: spines };
}

export function job(id: string, nodes: number, extra: Partial<SchedJob> = {}): SchedJob {
  return { id, tenant: 'a', priority: 0, kind: 'train', nodes, gpusPerNode: 8, submitSeconds: 0, preemptible: true, ...extra };
}

export function running(j: SchedJob, nodeIndices: number[], startSeconds = 0, extra: Partial<RunningJob> = {}): RunningJob {
  return { ...j, nodeIndices, startSeconds, ...extra };
}

export function view(topology: ClusterTopology, run: RunningJob[] = [], opts: { down?: number[]; quotas?: TenantQuota[]; spares?: number[] } = {}): ClusterView {
  const down = new Set(opts.down ?? []);
  return { topology, nodeUp: (i) => !down.has(i), running: run, quotas: opts.quotas ?? [], ...(opts.spares ? { spareNodes: opts.spares } : {}) };
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
