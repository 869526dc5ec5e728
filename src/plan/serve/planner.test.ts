import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPUS } from '../../catalog/gpus.ts';
import { MODELS } from '../../catalog/models.ts';
import { paramCounts } from '../../catalog/model-params.ts';
import { ImpossibleError, InputError } from '../../lib/errors.ts';
import { DEFAULT_ASSUMPTIONS } from './assumptions.ts';
import { memoryBudget } from './capacity.ts';
import { operatingPoint } from './operating-point.ts';
import { parseDurationSeconds, parseLayout } from './parse.ts';
import { candidateLayouts, maxThroughput, planServing } from './planner.ts';
import { erlangC, mmcWaitQuantileSeconds, poissonQuantile } from './queueing.ts';
import { decodeStepTime, kvBytesPerTokenPerGpu } from './roofline.ts';
import type { ServingSetup } from './types.ts';

const setup = (modelId: string, precision: 'bf16' | 'fp8', tp = 1): ServingSetup =>
  ({ model: MODELS[modelId]!, gpu: GPUS.h100, precision, layout: { tp, ep: 1 }, assumptions: DEFAULT_ASSUMPTIONS });
const shape = { inputTokens: 1000, outputTokens: 300 };

test('KV bytes per token follow 2 x layers x kv_heads x head_dim x bytes (serving.md B4)', () => {
  assert.equal(kvBytesPerTokenPerGpu(setup('llama3-70b', 'bf16')), 2 * 80 * 8 * 128 * 2);
  assert.equal(kvBytesPerTokenPerGpu(setup('llama3-70b', 'fp8')), 2 * 80 * 8 * 128);
  // Split across TP ranks: 8 KV heads over tp=8 leaves one per GPU.
  assert.equal(kvBytesPerTokenPerGpu(setup('llama3-70b', 'bf16', 8)), 2 * 80 * 1 * 128 * 2);
});

test('decode at batch 1 is bandwidth-bound: step ~ weight bytes / (HBM BW x efficiency)', () => {
  const s = setup('llama3-8b', 'bf16');
  const step = decodeStepTime(s, 1, 100);
  const floor = (paramCounts(s.model).total * 2) / (GPUS.h100.hbmBandwidthBytesPerSecond.value * DEFAULT_ASSUMPTIONS.hbmEfficiency.value);
  assert.ok(step.memorySeconds > step.computeSeconds);
  assert.ok(Math.abs(step.totalSeconds / floor - 1) < 0.05, `${step.totalSeconds} vs ${floor}`);
});

test('larger batches raise throughput and TPOT; memory fits weights + KV within HBM', () => {
  const s = setup('llama3-70b', 'fp8', 2);
  const small = operatingPoint(s, shape, 8);
  const big = operatingPoint(s, shape, 128);
  assert.ok(big.outputTokensPerSecond > small.outputTokensPerSecond);
  assert.ok(big.tpotMeanSeconds > small.tpotMeanSeconds);
  const m = memoryBudget(s);
  assert.ok(m.weightBytesPerGpu + m.kvCacheBytesPerGpu + m.activationBytesPerGpu + m.runtimeOverheadBytes <= m.hbmBytes);
});

test('a model that cannot hold one sequence is an ImpossibleError with a hint', () => {
  assert.throws(() => operatingPoint(setup('llama3-405b', 'bf16', 1), shape, 1), ImpossibleError);
  assert.throws(() => maxThroughput({ model: MODELS['llama3-405b']!, gpu: GPUS.h100, precision: 'bf16', shape, layout: { tp: 1, ep: 1 } }), ImpossibleError);
});

test('FP8 serves more tokens per GPU than BF16 (half the bytes, twice the FLOP/s)', () => {
  const base = { model: MODELS['llama3-70b']!, gpu: GPUS.h100, shape };
  assert.ok(maxThroughput({ ...base, precision: 'fp8' }).outputTokensPerSecondPerGpu > maxThroughput({ ...base, precision: 'bf16' }).outputTokensPerSecondPerGpu);
});

test('planServing: replicas grow with load, targets are met, and a tighter TPOT never costs less', () => {
  const base = { model: MODELS['llama3-70b']!, gpu: GPUS.h100, precision: 'fp8' as const, shape, ttftP99TargetSeconds: 1, tpotP99TargetSeconds: 0.05 };
  const low = planServing({ ...base, requestsPerSecond: 50 });
  const high = planServing({ ...base, requestsPerSecond: 500 });
  assert.ok(high.gpus > low.gpus);
  for (const p of [low, high]) {
    assert.ok(p.ttftP99Seconds <= 1 && p.tpotP99Seconds <= 0.05);
    assert.equal(p.gpus, p.replicas * p.gpusPerReplica);
    assert.ok(p.costPerMillionTokensUsd > 0);
  }
  const tight = planServing({ ...base, requestsPerSecond: 500, tpotP99TargetSeconds: 0.025 });
  assert.ok(tight.costPerHourUsd >= high.costPerHourUsd);
  assert.ok(tight.tpotP99Seconds <= 0.025);
});

test('an unreachable target is an ImpossibleError; a bad layout names the flag', () => {
  assert.throws(() => planServing({ model: MODELS['llama3-405b']!, gpu: GPUS.h100, precision: 'bf16', shape, requestsPerSecond: 10, tpotP99TargetSeconds: 0.001 }), ImpossibleError);
  assert.throws(() => planServing({ model: MODELS['llama3-70b']!, gpu: GPUS.h100, precision: 'bf16', shape, requestsPerSecond: 10, layout: { tp: 8, ep: 2 } }), /--layout ep/);
});

test('MoE models get expert-parallel candidates; dense ones do not', () => {
  assert.ok(candidateLayouts(MODELS['grok-1']!).some((l) => l.ep > 1));
  assert.ok(!candidateLayouts(MODELS['llama3-70b']!).some((l) => l.ep > 1));
});

test('queueing: Erlang C and Poisson quantiles behave at their limits', () => {
  assert.equal(erlangC(4, 0), 0);
  assert.equal(erlangC(4, 4), 1);
  assert.ok(Math.abs(erlangC(1, 0.5) - 0.5) < 1e-12); // M/M/1: P(wait) = rho
  assert.equal(mmcWaitQuantileSeconds(2, 10, 1, 0.99), Infinity);
  assert.ok(poissonQuantile(10, 0.99) > 10);
  assert.ok(poissonQuantile(1000, 0.99) > 1000);
});

test('flags: durations and layouts parse, bad ones name the field', () => {
  assert.equal(parseDurationSeconds('--ttft-p99', '1s'), 1);
  assert.equal(parseDurationSeconds('--tpot-p99', '50ms'), 0.05);
  assert.deepEqual(parseLayout('tp=8,ep=8'), { tp: 8, ep: 8 });
  assert.deepEqual(parseLayout('tp=4'), { tp: 4, ep: 1 });
  assert.throws(() => parseDurationSeconds('--tpot-p99', 'fast'), (e: unknown) => e instanceof InputError && /--tpot-p99/.test(e.message));
  assert.throws(() => parseLayout('tp=8,ep=3'), InputError);
  assert.throws(() => parseLayout('pp=2'), InputError);
});
