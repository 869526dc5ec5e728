import { maxBatchThatFits, memoryBudget, type MemoryBudget } from './capacity.ts';
import { poissonQuantile } from './queueing.ts';
import { decodeStepTime, prefillSeconds, stepTime } from './roofline.ts';
import type { ServingSetup, StepTime } from './types.ts';

/** A request shape: prompt and completion lengths in tokens. */
export interface RequestShape {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** One replica decoding `batchSize` sequences at once, with the steady-state prefill mixed in. */
export interface OperatingPoint {
  readonly batchSize: number;
  /** Slots the KV cache (or the engine cap) allows. */
  readonly maxBatchSize: number;
  readonly kvCacheTokens: number;
  readonly memory: MemoryBudget;
  /** Mean step: decode of batchSize sequences + batchSize x in/out prompt tokens of prefill. */
  readonly step: StepTime;
  readonly decodeOnlyStepSeconds: number;
  readonly tpotMeanSeconds: number;
  /** 99th percentile over requests of their mean gap between tokens (Poisson prompt arrivals). */
  readonly tpotP99Seconds: number;
  /** Prefill of one prompt in chunks alongside the running batch, no queueing. */
  readonly ttftNoQueueSeconds: number;
  /** One request's residence in a slot: TTFT + outputTokens steps. */
  readonly serviceSeconds: number;
  readonly outputTokensPerSecond: number;
  /** Input tokens/s per GPU when the replica only prefills (compute-bound ceiling). */
  readonly prefillTokensPerSecondPerGpu: number;
  /** Output tokens/s per GPU of the decode steps alone at this batch. */
  readonly decodeTokensPerSecondPerGpu: number;
}

/** Price the steady state of one replica holding `batchSize` sequences. */
export function operatingPoint(setup: ServingSetup, shape: RequestShape, batchSize: number): OperatingPoint {
  const { inputTokens: isl, outputTokens: osl } = shape;
  const budget = memoryBudget(setup);
  const maxBatchSize = maxBatchThatFits(setup, isl, osl);
  const context = isl + osl / 2;
  const prefillPerStep = (batchSize * isl) / osl;
  const step = stepTime(setup, batchSize, context, prefillPerStep, isl);
  const decodeOnly = decodeStepTime(setup, batchSize, context).totalSeconds;
  const tokenBudget = setup.assumptions.maxTokensPerStep.value;
  // TPOT of a request = (its last token - its first) / outputTokens, as benchmarks measure it.
  // Over its outputTokens steps, the prompts of Poisson(batchSize) arrivals are prefilled
  // alongside (lambda = batchSize/outputTokens per step); p99 takes the 99th percentile count.
  const chunk = Math.max(1, tokenBudget - batchSize);
  const arrivalsP99 = poissonQuantile(batchSize, 0.99);
  const decodeSeconds = osl * decodeOnly;
  const prefillP99Seconds = Math.max(0, step.totalSeconds - decodeOnly) * osl * (arrivalsP99 / Math.max(batchSize, 1e-9));
  const tpotP99 = (decodeSeconds + prefillP99Seconds) / osl;
  // A new prompt is prefilled in chunks that share steps with the running batch.
  const ttft = Math.max(prefillSeconds(setup, isl, isl), Math.ceil(isl / chunk) * step.totalSeconds);
  const serviceSeconds = ttft + osl * step.totalSeconds;
  const tp = setup.layout.tp;
  const prefillProbe = Math.min(tokenBudget, Math.max(isl, 1));
  return {
    batchSize, maxBatchSize, kvCacheTokens: budget.kvCacheTokens, memory: budget, step, decodeOnlyStepSeconds: decodeOnly,
    tpotMeanSeconds: step.totalSeconds, tpotP99Seconds: tpotP99, ttftNoQueueSeconds: ttft, serviceSeconds,
    outputTokensPerSecond: batchSize / step.totalSeconds,
    prefillTokensPerSecondPerGpu: prefillProbe / prefillSeconds(setup, prefillProbe, isl) / tp,
    decodeTokensPerSecondPerGpu: batchSize / decodeOnly / tp,
  };
}
