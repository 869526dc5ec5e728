// PyTorch FSDP's gradient copies outside the collective (step-time.ts, fsdpGradientCopyBytesPerParam): every
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
import { fsdpGradientCopyBytesPerParam } from './step-time.ts';

const fsdp: Layout = { tp: 1, pp: 1, vpp: 1, dp: 8, cp: 1, ep: 1, mbs: 1, zero: 3, sp: false, recompute: 'full', tpOverlap: false };
const ctxOf = (stack: string) => planContext({ model: MODELS['llama3-8b']!, hardware: homogeneousHardware('h100', 8), precision: 'bf16', seq: 4096, tokens: 1e12, stack: parseStack(stack) });

test('FSDP copies each gathered gradient every micro-batch: 18 bytes per parameter with an FP32 reduction, 8 with BF16', () => {
  assert.equal(fsdpGradientCopyBytesPerParam(4), 18);
  assert.equal(fsdpGradientCopyBytesPerParam(2), 8);
  const ctx = ctxOf('fsdp');
  const p = stageParams(ctx.shape, fsdp);
  const one = evaluateLayout(ctx, fsdp, 8).step;
  assert.ok(Math.abs(one.fsdpGradientCopySeconds - ((p.dense + p.expert) * 18) / ctx.hbmBytesPerSecond) < 1e-12, `${one.fsdpGradientCopySeconds}`);
  const four = evaluateLayout(ctx, fsdp, 32).step;
  assert.ok(Math.abs(four.fsdpGradientCopySeconds / one.fsdpGradientCopySeconds - 4) < 1e-9, 'per micro-batch');
  const bf16 = evaluateLayout(ctxOf('fsdp,grad-reduce=bf16'), fsdp, 8).step;
  assert.ok(Math.abs(bf16.fsdpGradientCopySeconds / one.fsdpGradientCopySeconds - 8 / 18) < 1e-9, 'BF16 reduction: no cast, a 2-byte division');
});

test('the copies are in the step: fsdp against deepspeed with the same parameters differs by exactly them', () => {
  // deepspeed's preset is fsdp's with attention=fa2: same kernels, optimizer and reduction dtype; only the name (and so the FSDP gradient path) differs.
  const withCopies = evaluateLayout(ctxOf('fsdp,attention=fa2'), fsdp, 32).step;
  const without = evaluateLayout(ctxOf('deepspeed'), fsdp, 32).step;
  assert.equal(without.fsdpGradientCopySeconds, 0);
  assert.ok(withCopies.fsdpGradientCopySeconds > 0.05, `${withCopies.fsdpGradientCopySeconds}`);
  assert.ok(Math.abs(withCopies.stepSeconds - without.stepSeconds - withCopies.fsdpGradientCopySeconds) < 1e-9, `${withCopies.stepSeconds} - ${without.stepSeconds}`);
  assert.ok(Math.abs(withCopies.elementwiseSeconds - without.elementwiseSeconds - withCopies.fsdpGradientCopySeconds) < 1e-9, 'counted as element-wise');
});

test('no FSDP copies without ZeRO-3, without a data-parallel group, or under stacks that do not run PyTorch FSDP', () => {
  assert.equal(evaluateLayout(ctxOf('fsdp'), { ...fsdp, zero: 1 }, 8).step.fsdpGradientCopySeconds, 0);
  assert.equal(evaluateLayout(ctxOf('fsdp'), { ...fsdp, dp: 1 }, 1).step.fsdpGradientCopySeconds, 0);
  assert.ok(evaluateLayout(ctxOf('fsdp-compile'), fsdp, 8).step.fsdpGradientCopySeconds > 0, 'torch.compile compiles the blocks, not FSDP');
  for (const stack of ['megatron', 'jax', 'deepspeed']) assert.equal(evaluateLayout(ctxOf(stack), fsdp, 8).step.fsdpGradientCopySeconds, 0, stack);
});
