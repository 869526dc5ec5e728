// FP8 weight casts: once per step where the weight stays in memory (Transformer Engine's is_first_microbatch
// cache), every micro-batch under ZeRO-3/FSDP, where each GPU casts the whole gathered stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { planContext } from './context.ts';
import { evaluateLayout } from './evaluate.ts';
import { homogeneousHardware } from './fleet-hardware.ts';
import type { Layout } from './layout.ts';

const base: Layout = { tp: 1, pp: 1, vpp: 1, dp: 64, cp: 1, ep: 1, mbs: 1, zero: 3, sp: false, recompute: 'full', tpOverlap: false };
const ctxOf = (precision: 'bf16' | 'fp8') => planContext({ model: MODELS['llama3-70b']!, hardware: homogeneousHardware('h100', 64), precision, seq: 4096, tokens: 1e12 });

test('FSDP in FP8 casts the gathered weights every micro-batch: forward, backward transpose and the recomputed forward', () => {
  const ctx = ctxOf('fp8');
  const one = evaluateLayout(ctx, base, 64).step;
  const four = evaluateLayout(ctx, base, 256).step;
  const s = ctx.shape;
  const bytes = s.layers * s.denseParamsPerLayer * 3 * 3; // read BF16 + write FP8, three casts
  assert.ok(Math.abs(one.fp8WeightCastSeconds - bytes / ctx.hbmBytesPerSecond) < 1e-9, `${one.fp8WeightCastSeconds}`);
  assert.ok(Math.abs(four.fp8WeightCastSeconds / one.fp8WeightCastSeconds - 4) < 1e-9, 'per micro-batch');
  const noRecompute = evaluateLayout(ctx, { ...base, recompute: 'none' }, 64).step;
  assert.ok(Math.abs(noRecompute.fp8WeightCastSeconds / one.fp8WeightCastSeconds - 2 / 3) < 1e-9, 'two casts without recompute');
  assert.equal(evaluateLayout(ctxOf('bf16'), base, 64).step.fp8WeightCastSeconds, 0, 'none in BF16');
});

test('with the weights kept (ZeRO-1), FP8 casts once per step whatever the micro-batches, and on the local shard only', () => {
  const ctx = ctxOf('fp8');
  const l: Layout = { ...base, tp: 8, dp: 8, zero: 1, sp: true };
  const one = evaluateLayout(ctx, l, 8).step.fp8WeightCastSeconds;
  const four = evaluateLayout(ctx, l, 32).step.fp8WeightCastSeconds;
  assert.ok(one > 0 && Math.abs(four - one) < 1e-12, `${one} vs ${four}`);
  const fsdp = evaluateLayout(ctx, base, 64).step.fp8WeightCastSeconds;
  assert.ok(one < fsdp / 8, `${one} vs ${fsdp}`);
});
