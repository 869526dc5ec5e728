import type { GpuSpec } from '../../catalog/gpus.ts';
import type { ModelArch } from '../../catalog/model-arch.ts';
import { isMoe } from '../../catalog/model-params.ts';
import { ImpossibleError, InputError } from '../../lib/errors.ts';
import { RENTAL_LIST_PRICE_PER_GPU_HOUR_USD } from '../../catalog/prices.ts';
import { DEFAULT_ASSUMPTIONS, type ServingAssumptions } from './assumptions.ts';
import { operatingPoint, type OperatingPoint, type RequestShape } from './operating-point.ts';
import { mmcWaitQuantileSeconds } from './queueing.ts';
import type { ReplicaLayout, ServingPrecision, ServingSetup } from './types.ts';

export interface ServingPlanInput {
  readonly model: ModelArch;
  readonly gpu: GpuSpec;
  readonly precision: ServingPrecision;
  readonly shape: RequestShape;
  /** Fixed replica layout; absent: the planner tries tp = 1, 2, 4, 8 (and ep = tp for MoE). */
  readonly layout?: ReplicaLayout;
  readonly requestsPerSecond?: number;
  readonly ttftP99TargetSeconds?: number;
  readonly tpotP99TargetSeconds?: number;
  /** Fixed decode batch (static-batch benchmarks); absent: the most that fits. */
  readonly batchSize?: number;
  readonly pricePerGpuHourUsd?: number;
  readonly assumptions?: ServingAssumptions;
  /** GPUs sharing one NVLink domain: the largest tensor-parallel group (8 on HGX). */
  readonly gpusPerNvlinkDomain?: number;
}

export interface ServingPlan extends OperatingPoint {
  readonly model: string;
  readonly gpu: string;
  readonly precision: ServingPrecision;
  readonly layout: ReplicaLayout;
  readonly gpusPerReplica: number;
  readonly outputTokensPerSecondPerReplica: number;
  readonly outputTokensPerSecondPerGpu: number;
  readonly ttftP99Seconds: number;
  readonly replicas: number;
  readonly gpus: number;
  readonly pricePerGpuHourUsd: number;
  readonly costPerHourUsd: number;
  /** Per million output tokens served. */
  readonly costPerMillionTokensUsd: number;
  readonly costPerMillionInputAndOutputTokensUsd: number;
  /** Which roofline bound dominates the mean step. */
  readonly bound: 'compute' | 'memory' | 'communication';
}

/**
 * Layouts to search: tensor parallel up to one NVLink domain, then two domains (a model too big
 * for one node); MoE also with experts spread (ep = tp).
 */
export function candidateLayouts(model: ModelArch, gpusPerNvlinkDomain = 8): ReplicaLayout[] {
  const out: ReplicaLayout[] = [];
  for (let tp = 1; tp <= 2 * gpusPerNvlinkDomain; tp *= 2) {
    out.push({ tp, ep: 1 });
    if (isMoe(model) && tp > 1 && (model.experts ?? 0) % tp === 0) out.push({ tp, ep: tp });
  }
  return out;
}

export function validateLayout(model: ModelArch, layout: ReplicaLayout): void {
  if (!Number.isInteger(layout.tp) || layout.tp < 1) throw new InputError({ field: '--layout tp', value: layout.tp, expected: 'a positive integer, e.g. tp=8' });
  if (!Number.isInteger(layout.ep) || layout.ep < 1 || layout.tp % layout.ep !== 0) {
    throw new InputError({ field: '--layout ep', value: layout.ep, expected: `a divisor of tp=${layout.tp}, e.g. ep=${layout.tp}` });
  }
  if (layout.ep > 1 && (!isMoe(model) || (model.experts ?? 0) % layout.ep !== 0)) {
    throw new InputError({ field: '--layout ep', value: layout.ep, expected: isMoe(model) ? `a divisor of the ${model.experts} experts` : `ep=1: ${model.name} is dense` });
  }
}

function setupFor(input: ServingPlanInput, layout: ReplicaLayout): ServingSetup {
  return { model: input.model, gpu: input.gpu, precision: input.precision, layout, assumptions: input.assumptions ?? DEFAULT_ASSUMPTIONS, ...(input.gpusPerNvlinkDomain ? { gpusPerNvlinkDomain: input.gpusPerNvlinkDomain } : {}) };
}

function finish(input: ServingPlanInput, setup: ServingSetup, point: OperatingPoint, replicas: number, ttftP99: number, requestsPerSecond: number): ServingPlan {
  const price = input.pricePerGpuHourUsd ?? RENTAL_LIST_PRICE_PER_GPU_HOUR_USD[input.gpu.id].value;
  const tp = setup.layout.tp;
  const gpus = replicas * tp;
  const costPerHourUsd = gpus * price;
  const outputPerSecond = requestsPerSecond * input.shape.outputTokens;
  const totalPerSecond = requestsPerSecond * (input.shape.inputTokens + input.shape.outputTokens);
  const s = point.step;
  const bound = s.communicationSeconds > Math.max(s.computeSeconds, s.memorySeconds) ? 'communication' : s.computeSeconds >= s.memorySeconds ? 'compute' : 'memory';
  return {
    ...point,
    batchSize: Math.ceil(point.batchSize - 1e-9),
    model: input.model.name, gpu: input.gpu.name, precision: input.precision, layout: setup.layout, gpusPerReplica: tp,
    outputTokensPerSecondPerReplica: point.outputTokensPerSecond,
    outputTokensPerSecondPerGpu: point.outputTokensPerSecond / tp,
    ttftP99Seconds: ttftP99, replicas, gpus, pricePerGpuHourUsd: price, costPerHourUsd,
    costPerMillionTokensUsd: (costPerHourUsd / 3600 / outputPerSecond) * 1e6,
    costPerMillionInputAndOutputTokensUsd: (costPerHourUsd / 3600 / totalPerSecond) * 1e6,
    bound,
  };
}

function fits(setup: ServingSetup, shape: RequestShape): boolean {
  try { operatingPoint(setup, shape, 1); return true; } catch (e) { if (e instanceof ImpossibleError) return false; throw e; }
}

/**
 * Saturated throughput of one replica (how serving benchmarks run): the largest batch that fits,
 * or the largest that still meets the given TPOT/TTFT targets. Without a layout, the one with
 * the most output tokens/s per GPU.
 */
export function maxThroughput(input: ServingPlanInput): ServingPlan {
  const layouts = input.layout ? [input.layout] : candidateLayouts(input.model, input.gpusPerNvlinkDomain);
  if (input.layout) validateLayout(input.model, input.layout);
  let best: ServingPlan | undefined;
  for (const layout of layouts) {
    const setup = setupFor(input, layout);
    if (!input.layout && !fits(setup, input.shape)) continue;
    const cap = operatingPoint(setup, input.shape, 1).maxBatchSize;
    const ok = (b: number) => {
      const p = operatingPoint(setup, input.shape, b);
      return (input.tpotP99TargetSeconds === undefined || p.tpotP99Seconds <= input.tpotP99TargetSeconds) &&
        (input.ttftP99TargetSeconds === undefined || p.ttftNoQueueSeconds <= input.ttftP99TargetSeconds);
    };
    let batch = Math.min(cap, input.batchSize ?? cap);
    if (!ok(batch)) {
      if (!ok(1)) continue;
      let lo = 1; let hi = batch;
      while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (ok(mid)) lo = mid; else hi = mid; }
      batch = lo;
    }
    const point = operatingPoint(setup, input.shape, batch);
    const rps = point.outputTokensPerSecond / input.shape.outputTokens;
    const plan = finish(input, setup, point, 1, point.ttftNoQueueSeconds, rps);
    if (!best || plan.outputTokensPerSecondPerGpu > best.outputTokensPerSecondPerGpu) best = plan;
  }
  if (!best) throw new ImpossibleError(`no layout of ${input.model.name} on ${input.gpu.name} meets the targets`, 'relax --ttft-p99/--tpot-p99, use --precision fp8 or a larger GPU');
  return best;
}

/**
 * Mean concurrent sequences N solving N = lambda x service(N) (Little's law): the lowest root,
 * the stable one (above it a backlog only grows). Null when no N up to the cap solves it.
 */
function concurrency(setup: ServingSetup, shape: RequestShape, perReplicaRps: number, cap: number): number | null {
  const f = (n: number) => perReplicaRps * operatingPoint(setup, shape, n).serviceSeconds - n;
  let lo = 1e-6;
  if (f(lo) <= 0) return lo;
  let hi = Math.min(1, cap);
  while (f(hi) > 0) {
    if (hi >= cap) return null;
    lo = hi;
    hi = Math.min(cap, hi * 2);
  }
  for (let i = 0; i < 40 && hi - lo > 1e-3; i++) { const mid = (lo + hi) / 2; if (f(mid) > 0) lo = mid; else hi = mid; }
  return hi;
}

/**
 * Cheapest fleet serving `requestsPerSecond` within the TTFT and TPOT p99 targets: per layout,
 * the fewest replicas (binary search) whose steady state meets both, then the lowest cost.
 */
export function planServing(input: ServingPlanInput): ServingPlan {
  const rps = input.requestsPerSecond;
  if (rps === undefined || !(rps > 0)) throw new InputError({ field: '--rps', value: rps, expected: 'requests per second > 0' });
  const ttftTarget = input.ttftP99TargetSeconds ?? Infinity;
  const tpotTarget = input.tpotP99TargetSeconds ?? Infinity;
  if (input.layout) validateLayout(input.model, input.layout);
  const layouts = input.layout ? [input.layout] : candidateLayouts(input.model, input.gpusPerNvlinkDomain);
  let best: ServingPlan | undefined;
  for (const layout of layouts) {
    const setup = setupFor(input, layout);
    if (!input.layout && !fits(setup, input.shape)) continue;
    const cap = Math.min(operatingPoint(setup, input.shape, 1).maxBatchSize, input.batchSize ?? Infinity);
    const evaluate = (replicas: number) => {
      const perReplica = rps / replicas;
      const n = concurrency(setup, input.shape, perReplica, cap);
      if (n === null) return null;
      const point = operatingPoint(setup, input.shape, n);
      const ttft = point.ttftNoQueueSeconds + mmcWaitQuantileSeconds(cap, perReplica, point.serviceSeconds, 0.99);
      const ok = ttft <= ttftTarget && point.tpotP99Seconds <= tpotTarget;
      return { point, ttft, ok };
    };
    const lonely = operatingPoint(setup, input.shape, 1);
    if (lonely.ttftNoQueueSeconds > ttftTarget || lonely.tpotP99Seconds > tpotTarget) continue;
    let hi = Math.max(1, Math.ceil((rps * input.shape.outputTokens) / operatingPoint(setup, input.shape, cap).outputTokensPerSecond));
    for (let i = 0; i < 40 && !evaluate(hi)?.ok; i++) hi *= 2;
    if (!evaluate(hi)?.ok) continue;
    let lo = 0;
    while (hi - lo > 1) { const mid = Math.floor((lo + hi) / 2); if (evaluate(mid)?.ok) hi = mid; else lo = mid; }
    const r = evaluate(hi)!;
    const plan = finish(input, setup, r.point, hi, r.ttft, rps);
    if (!best || plan.costPerHourUsd < best.costPerHourUsd || (plan.costPerHourUsd === best.costPerHourUsd && plan.ttftP99Seconds < best.ttftP99Seconds)) best = plan;
  }
  if (!best) {
    throw new ImpossibleError(
      `no layout of ${input.model.name} (${input.precision}) on ${input.gpu.name} meets TTFT p99 <= ${ttftTarget}s and TPOT p99 <= ${tpotTarget}s`,
      'relax --ttft-p99/--tpot-p99, shorten --input-tokens, use --precision fp8 or a faster GPU',
    );
  }
  return best;
}
