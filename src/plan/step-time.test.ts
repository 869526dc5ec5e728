import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { ImpossibleError } from '../lib/errors.ts';
import { planContext } from './context.ts';
import { evaluateLayout } from './evaluate.ts';
import { fleetHardware, homogeneousHardware } from './fleet-hardware.ts';
import type { Layout } from './layout.ts';
import { layerCost } from './layer-cost.ts';
import { reduceScatter } from './collectives.ts';

const base: Layout = { tp: 8, pp: 8, vpp: 1, dp: 16, cp: 1, ep: 1, mbs: 1, zero: 1, sp: true, recompute: 'none', tpOverlap: true };
const ctx = planContext({ model: MODELS['llama3-405b']!, hardware: homogeneousHardware('h100', 1024), precision: 'bf16', seq: 8192, tokens: 1e12 });

test('interleaving shrinks the pipeline bubble by the number of virtual stages', () => {
  const plain = evaluateLayout(ctx, base, 512).step;
  const inter = evaluateLayout(ctx, { ...base, vpp: 4 }, 512).step;
  assert.ok(Math.abs(inter.pp.bubbleSeconds * 4 - plain.pp.bubbleSeconds) / plain.pp.bubbleSeconds < 0.05);
  assert.ok(inter.stepSeconds < plain.stepSeconds);
});

test('full recompute costs time (one more forward) and is reported as recompute', () => {
  const none = evaluateLayout(ctx, base, 512);
  const full = evaluateLayout(ctx, { ...base, recompute: 'full' }, 512);
  assert.ok(full.step.recomputeSeconds > 0.2 * full.step.gemmSeconds);
  assert.ok(full.tokensPerSecondPerGpu < none.tokensPerSecondPerGpu);
  assert.ok(full.memory.activations < none.memory.activations);
});

test('FP8 is faster than BF16 for the same layout, and MFU is measured against each precision\'s peak', () => {
  const fp8 = planContext({ ...ctx.req, precision: 'fp8' });
  const a = evaluateLayout(ctx, base, 512);
  const b = evaluateLayout(fp8, base, 512);
  assert.ok(b.tokensPerSecondPerGpu > a.tokensPerSecondPerGpu);
  assert.ok(b.mfu < a.mfu);
});

test('the data-parallel collective runs hierarchically over NVLink and the fabric when tp < 8', () => {
  const small = planContext({ model: MODELS['llama3-8b']!, hardware: homogeneousHardware('h100', 64), precision: 'bf16', seq: 8192, tokens: 1e12 });
  const e = evaluateLayout(small, { ...base, tp: 1, pp: 1, dp: 64, sp: false, tpOverlap: false }, 128);
  assert.match(e.step.dp.algorithm, /hierarchical nvlink x8 \+ leaf x8/);
  assert.ok(e.step.dp.hiddenSeconds > 0, 'part of the gradient reduce-scatter hides behind the backward pass');
});

test('fleet hardware: colossus-100k has NVLink plus three fabric tiers; asking for more GPUs than it has is impossible', () => {
  const hw = fleetHardware(FLEET_PRESETS['colossus-100k']!);
  assert.equal(hw.gpus, 100_000);
  assert.deepEqual(hw.tiers.map((t) => t.name), ['nvlink', 'leaf', 'spine', 'core']);
  assert.ok(hw.tiers[0]!.busBytesPerSecondPerGpu > 5 * hw.tiers[1]!.busBytesPerSecondPerGpu);
  assert.throws(() => fleetHardware(FLEET_PRESETS['colossus-100k']!, 200_000), ImpossibleError);
});

test('FlashAttention-2 kernels (NVTE_FUSED_ATTN=0) are slower than cuDNN/FA3 on H100 and the same on A100', () => {
  const at = (gpu: 'h100' | 'a100', attention: 'flash' | 'flash2'): number =>
    evaluateLayout(planContext({ model: MODELS['llama3-70b']!, hardware: homogeneousHardware(gpu, 64), precision: 'bf16', seq: 8192, tokens: 1e12, attention }), { ...base, pp: 4, dp: 2 }, 64).step.attentionSeconds;
  assert.ok(at('h100', 'flash2') > 1.5 * at('h100', 'flash'));
  assert.equal(at('a100', 'flash2'), at('a100', 'flash'));
});

test('FP32 gradient reduction (Megatron-LM bf16 default) doubles the gradient reduce-scatter and the gradient buffer, not the parameter all-gather', () => {
  const gpt = { ...MODELS['llama3-8b']!, name: 'GPT 1.7B-like', layers: 24, hidden: 2048, heads: 16, kvHeads: 16, ffn: 8192, ffnKind: 'plain' as const, vocab: 131072 };
  const req = { model: gpt, hardware: homogeneousHardware('h100', 48), precision: 'bf16' as const, seq: 4096, tokens: 1e12 };
  const l: Layout = { ...base, tp: 1, pp: 1, dp: 48, mbs: 4, sp: false, tpOverlap: false };
  const bf16 = evaluateLayout(planContext(req), l, 192);
  const fp32 = evaluateLayout(planContext({ ...req, gradReduceFp32: true }), l, 192);
  // Reduce-scatter (gradients) + all-gather (parameters): 2 + 2 bytes per parameter becomes 4 + 2; the
  // per-step latencies do not grow, so the ratio is a little under 1.5 (and far from 2).
  const ratio = fp32.step.dp.totalSeconds / bf16.step.dp.totalSeconds;
  assert.ok(ratio > 1.3 && ratio <= 1.5, `ratio ${ratio}`);
  assert.ok(Math.abs(fp32.memory.gradients / bf16.memory.gradients - 2) < 1e-9);
  assert.match(fp32.step.dp.algorithm, /FP32 gradients/);
  assert.ok(fp32.step.stepSeconds > bf16.step.stepSeconds);
});

test('with pp = 1 the input embedding is one bucket: its reduce-scatter and all-gather are exposed even when everything else hides', () => {
  const gpt = { ...MODELS['llama3-8b']!, name: 'GPT 1.7B-like', layers: 24, hidden: 2048, heads: 16, kvHeads: 16, ffn: 8192, ffnKind: 'plain' as const, vocab: 131072 };
  const c = planContext({ model: gpt, hardware: homogeneousHardware('h100', 48), precision: 'bf16', seq: 4096, tokens: 1e12 });
  const l: Layout = { ...base, tp: 1, pp: 1, dp: 48, mbs: 4, sp: false, tpOverlap: false };
  const e = evaluateLayout(c, l, 192);
  // The embedding's own reduce-scatter (gradients) and all-gather (parameters), 131072 x 2048 BF16 each.
  const embedding = 2 * reduceScatter(c.hw, { size: 48, stride: 1 }, 131072 * 2048 * 2).seconds;
  assert.ok(e.step.dp.exposedSeconds >= 0.95 * embedding, `${e.step.dp.exposedSeconds} vs ${embedding}`);
  assert.ok(e.step.dp.hiddenSeconds > e.step.dp.exposedSeconds, 'the layer buckets still hide behind the compute');
});

test('FSDP (ZeRO-3): the forward all-gathers can only hide behind the forward pass, so with one micro-batch their excess is exposed', () => {
  const c = planContext({ model: MODELS['llama3-70b']!, hardware: homogeneousHardware('h100', 512), precision: 'fp8', seq: 2560, tokens: 1e12 });
  const l: Layout = { ...base, tp: 1, pp: 1, dp: 512, mbs: 1, zero: 3, sp: false, tpOverlap: false, recompute: 'full' };
  const e = evaluateLayout(c, l, 512);
  assert.equal(e.step.microbatches, 1);
  const forwardWindow = layerCost(c, l).forwardSeconds * MODELS['llama3-70b']!.layers;
  const forwardGather = e.step.dp.totalSeconds / 3; // parameters all-gathered once for the forward (BF16, as the reduce-scatter)
  assert.ok(forwardGather > forwardWindow, 'the case under test: the gathers outrun the FP8 forward');
  assert.ok(e.step.dp.totalSeconds < layerCost(c, l).totalSeconds * MODELS['llama3-70b']!.layers, 'while all the traffic together is less than all the compute');
  assert.ok(e.step.dp.exposedSeconds >= forwardGather - forwardWindow - 1e-9, `${e.step.dp.exposedSeconds} vs ${forwardGather - forwardWindow}`);
});
