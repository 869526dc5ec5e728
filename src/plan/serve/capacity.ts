import { isMoe } from '../../catalog/model-params.ts';
import { ImpossibleError } from '../../lib/errors.ts';
import { kvBytesPerTokenPerGpu, weightBytesPerGpu } from './roofline.ts';
import type { ServingSetup } from './types.ts';

/** Memory budget of one GPU of a replica, bytes; kvCacheTokens is per replica. */
export interface MemoryBudget {
  readonly hbmBytes: number;
  readonly weightBytesPerGpu: number;
  readonly activationBytesPerGpu: number;
  readonly runtimeOverheadBytes: number;
  readonly kvCacheBytesPerGpu: number;
  readonly kvBytesPerTokenPerGpu: number;
  /** Tokens of context the replica can hold in its KV cache. */
  readonly kvCacheTokens: number;
}

/**
 * Activation workspace of one forward pass of maxTokensPerStep tokens on one GPU: the widest
 * intermediate (FFN up/gate, or the logits slice) plus residual and attention buffers, BF16.
 */
function activationBytesPerGpu(setup: ServingSetup): number {
  const m = setup.model;
  const tp = setup.layout.tp;
  const tokens = setup.assumptions.maxTokensPerStep.value;
  const ffnWidth = isMoe(m) ? (m.moeFfn ?? m.ffn) * (m.topK ?? 1) : m.ffn;
  const widest = Math.max((2 * ffnWidth) / tp, m.vocab / tp * 2);
  return tokens * (4 * m.hidden + widest) * 2;
}

/** KV-cache capacity: HBM left after weights, activations and runtime, times the engine's fraction. */
export function memoryBudget(setup: ServingSetup): MemoryBudget {
  const hbmBytes = setup.gpu.hbmBytes.value;
  const weights = weightBytesPerGpu(setup);
  const activations = activationBytesPerGpu(setup);
  const runtime = setup.assumptions.runtimeOverheadBytes.value;
  const free = hbmBytes - weights - activations - runtime;
  const kvCacheBytesPerGpu = Math.max(0, free * setup.assumptions.kvCacheMemoryFraction.value);
  const perToken = kvBytesPerTokenPerGpu(setup);
  return {
    hbmBytes, weightBytesPerGpu: weights, activationBytesPerGpu: activations, runtimeOverheadBytes: runtime,
    kvCacheBytesPerGpu, kvBytesPerTokenPerGpu: perToken,
    kvCacheTokens: Math.floor(kvCacheBytesPerGpu / perToken),
  };
}

/**
 * Largest decode batch that fits: each sequence reserves its full prompt + output in the KV
 * cache (TensorRT-LLM's default GUARANTEED_NO_EVICT policy), capped by the engine's max batch.
 * Throws ImpossibleError when not even one sequence fits.
 */
export function maxBatchThatFits(setup: ServingSetup, inputTokens: number, outputTokens: number): number {
  const budget = memoryBudget(setup);
  const perSequence = inputTokens + outputTokens;
  const fits = Math.floor(budget.kvCacheTokens / perSequence);
  if (fits < 1) {
    const gib = (x: number) => (x / 2 ** 30).toFixed(1);
    throw new ImpossibleError(
      `${setup.model.name} (${setup.precision}) at tp=${setup.layout.tp} on ${setup.gpu.name} leaves no room for one ${perSequence}-token sequence: ` +
        `weights ${gib(budget.weightBytesPerGpu)} GiB of ${gib(budget.hbmBytes)} GiB per GPU`,
      'use a larger --layout tp=N, --precision fp8, or a GPU with more HBM',
    );
  }
  return Math.min(fits, setup.assumptions.maxBatchSize.value);
}
