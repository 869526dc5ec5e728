import { InputError } from '../lib/errors.ts';
import type { Workload } from './types.ts';

/** `pretrain:N`: one synchronous pretraining job of N GPUs, submitted at t=0, running the whole period. */
export function pretrainWorkload(gpus: number, recovery: 'gang' | 'replica' = 'gang', replicaGpus = 64): Workload {
  if (!Number.isInteger(gpus) || gpus < 8 || gpus % 8 !== 0) {
    throw new InputError({ field: '--workload', value: `pretrain:${gpus}`, expected: 'pretrain:N with N a positive multiple of 8 GPUs (8-GPU nodes), e.g. pretrain:16384' });
  }
  return {
    name: `pretrain:${gpus}`,
    jobs: [{
      id: 'pretrain', tenant: 'pretraining', priority: 100, kind: 'train', nodes: gpus / 8, gpusPerNode: 8, submitSeconds: 0,
      workSeconds: Infinity, preemptible: false, checkpoints: true, recovery, replicaNodes: Math.max(1, replicaGpus / 8),
    }],
    services: [], rejected: [], quotas: [],
  };
}
