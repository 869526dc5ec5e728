import { InputError } from '../lib/errors.ts';
import type { TwinSizing } from './sizing.ts';
import type { Workload } from './types.ts';

/**
 * `pretrain:N[:MODEL]`: one synchronous pretraining job of N GPUs (default model grok-1), submitted at
 * t=0, running the whole period; node size and planned throughput from the planner (`sizing`).
 * `replicaGpus`: GPUs per data-parallel replica for replica recovery (workload assumption).
 */
export function pretrainWorkload(gpus: number, sizing: TwinSizing, recovery: 'gang' | 'replica' = 'gang', replicaGpus = 64, modelId = 'grok-1'): Workload {
  const g = sizing.gpusPerNode;
  if (!Number.isInteger(gpus) || gpus < g || gpus % g !== 0) {
    throw new InputError({ field: '--workload', value: `pretrain:${gpus}`, expected: `pretrain:N with N a positive multiple of ${g} GPUs (the fleet's ${g}-GPU nodes), e.g. pretrain:${g * 2048}` });
  }
  const train = sizing.train(modelId, gpus);
  return {
    name: `pretrain:${gpus}`,
    jobs: [{
      id: 'pretrain', tenant: 'pretraining', priority: 100, kind: 'train', nodes: gpus / g, gpusPerNode: g, submitSeconds: 0,
      workSeconds: Infinity, preemptible: false, checkpoints: true, recovery, replicaNodes: Math.max(1, Math.round(replicaGpus / g)),
      model: train.modelId, tokensPerSecondPerGpu: train.tokensPerSecondPerGpu, sizedBy: train.source,
    }],
    services: [], rejected: [], quotas: [],
  };
}
