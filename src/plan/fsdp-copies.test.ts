// PyTorch FSDP's gradient copies outside the collective (fsdp-copies.ts): every
// micro-batch, every gathered parameter, under the stacks that run ZeRO-3 as PyTorch FSDP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { planContext } from './context.ts';
import { evaluateLayout } from './evaluate.ts';
import { homogeneousHardware } from './fleet-hardware.ts';
import type { Layout } from './layout.ts';
import { stageParams } from './memory.ts';
import { parseStack } from './stack.ts';
import { formatTrainPlan } from './format-train.ts';
import { planTrain } from './train-plan.ts';
import { fsdpGradientCopyBytesPerParam, fsdpShardBytesPerParam } from './fsdp-copies.ts';

const fsdp: Layout = { tp: 1, pp: 1, vpp: 1, dp: 8, cp: 1, ep: 1, mbs: 1, zero: 3, sp: false, recompute: 'full', tpOverlap: false };
const ctxOf = (stack: string) => planContext({ model: MODELS['llama3-8b']!, hardware: homogeneousHardware('h100', 8), precision: 'bf16', seq: 4096, tokens: 1e12, stack: parseStack(stack) });

test('FSDP copies each gathered gradient every micro-batch (18 B per parameter with an FP32 reduction, 8 with BF16) and works on its own shard', () => {
  assert.equal(fsdpGradientCopyBytesPerParam(4), 18);
  assert.equal(fsdpGradientCopyBytesPerParam(2), 8);
  // Two BF16 casts of the FP32 shard, post-divide in FP32; accumulation from the second micro-batch on.
  assert.equal(fsdpShardBytesPerParam(4, 2, 1), 12 + 8);
  assert.equal(fsdpShardBytesPerParam(4, 2, 4), 12 + 8 + (3 / 4) * 12);
  assert.equal(fsdpShardBytesPerParam(2, 1, 1), 6 + 4 + 6, 'BF16 reduction: the shard is cast back to FP32');
  const ctx = ctxOf('fsdp');
  const p = stageParams(ctx.shape, fsdp);
  const gathered = p.dense + p.expert;
  const one = evaluateLayout(ctx, fsdp, 8).step;
  const expected = (gathered * 18 + (gathered / 8) * 20) / ctx.hbmBytesPerSecond;
  assert.ok(Math.abs(one.fsdpCopySeconds - expected) < 1e-12, `${one.fsdpCopySeconds} vs ${expected}`);
  const four = evaluateLayout(ctx, fsdp, 32).step;
  const expectedFour = (4 * (gathered * 18 + (gathered / 8) * (20 + (3 / 4) * 12))) / ctx.hbmBytesPerSecond;
  assert.ok(Math.abs(four.fsdpCopySeconds - expectedFour) < 1e-12, 'per micro-batch, with the accumulation');
  const bf16 = evaluateLayout(ctxOf('fsdp,grad-reduce=bf16'), fsdp, 8).step;
  assert.ok(Math.abs(bf16.fsdpCopySeconds - (gathered * 8 + (gathered / 8) * 22) / ctx.hbmBytesPerSecond) < 1e-12, 'BF16 reduction: no cast, a 2-byte division');
  const kept = evaluateLayout(ctx, { ...fsdp, reshardAfterForward: false }, 8).step;
  assert.ok(Math.abs(one.fsdpCopySeconds - kept.fsdpCopySeconds - ((gathered / 8) * 6) / ctx.hbmBytesPerSecond) < 1e-12, 'one gather, one shard cast fewer');
});

test('the copies are in the step: fsdp against deepspeed with the same parameters differs by exactly them', () => {
  // deepspeed's preset is fsdp's with attention=fa2: same kernels, optimizer and reduction dtype; only the name (and so the FSDP gradient path) differs.
  const withCopies = evaluateLayout(ctxOf('fsdp,attention=fa2'), fsdp, 32).step;
  const without = evaluateLayout(ctxOf('deepspeed'), fsdp, 32).step;
  assert.equal(without.fsdpCopySeconds, 0);
  assert.ok(withCopies.fsdpCopySeconds > 0.05, `${withCopies.fsdpCopySeconds}`);
  assert.ok(Math.abs(withCopies.stepSeconds - without.stepSeconds - withCopies.fsdpCopySeconds) < 1e-9, `${withCopies.stepSeconds} - ${without.stepSeconds}`);
  assert.ok(Math.abs(withCopies.elementwiseSeconds - without.elementwiseSeconds - withCopies.fsdpCopySeconds) < 1e-9, 'counted as element-wise');
});

test('no FSDP copies without ZeRO-3, without a data-parallel group, or under stacks that do not run PyTorch FSDP', () => {
  assert.equal(evaluateLayout(ctxOf('fsdp'), { ...fsdp, zero: 1 }, 8).step.fsdpCopySeconds, 0);
  assert.equal(evaluateLayout(ctxOf('fsdp'), { ...fsdp, dp: 1 }, 1).step.fsdpCopySeconds, 0);
  assert.ok(evaluateLayout(ctxOf('fsdp-compile'), fsdp, 8).step.fsdpCopySeconds > 0, 'torch.compile compiles the blocks, not FSDP');
  for (const stack of ['megatron', 'jax', 'deepspeed']) assert.equal(evaluateLayout(ctxOf(stack), fsdp, 8).step.fsdpCopySeconds, 0, stack);
});

test('the text report names the FSDP copies inside element-wise, only where they are paid', () => {
  const req = (stack: string) => ({ model: MODELS['llama3-8b']!, hardware: homogeneousHardware('h100', 8), precision: 'bf16' as const, seq: 4096, tokens: 1e12, stack: parseStack(stack) });
  const layout = { tp: 1, pp: 1, cp: 1, dp: 8, zero: 3 as const, mbs: 1, recompute: 'full' as const };
  assert.match(formatTrainPlan(planTrain(req('fsdp'), { fixed: layout, globalBatchSeqs: 32 })), /element-wise [0-9.]+ \(FSDP copies [0-9.]+\), recompute/);
  assert.doesNotMatch(formatTrainPlan(planTrain(req('jax'), { fixed: layout, globalBatchSeqs: 32 })), /FSDP copies/);
});
