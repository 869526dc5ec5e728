import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { planContext } from './context.ts';
import { evaluateLayout } from './evaluate.ts';
import { homogeneousHardware } from './fleet-hardware.ts';
import type { Layout } from './layout.ts';
import { activationBytesPerTokenPerLayer, memoryPerGpu, stageParams } from './memory.ts';
import { modelShape } from './shape.ts';
import { parseStack } from './stack.ts';

const base: Layout = { tp: 8, pp: 4, vpp: 1, dp: 8, cp: 1, ep: 1, mbs: 1, zero: 1, sp: true, recompute: 'none', tpOverlap: true };
const llama70 = modelShape(MODELS['llama3-70b']!);
const close = (got: number, want: number, what: string): void => assert.ok(Math.abs(got / want - 1) < 1e-6, `${what}: ${got} vs hand ${want}`);

test('Llama 3 70B, tp=8 pp=4 dp=8 ZeRO-1: weights, gradients and optimizer match the hand calculation', () => {
  // Hand: per layer 8192*8192*2 + 8192*1024*2 + 3*8192*28672 = 855,638,016; 20 layers per stage + one embedding 128256*8192.
  const stage = (20 * 855_638_016 + 128_256 * 8192) / 8;
  const m = memoryPerGpu(llama70, base, 8192, 32, 80e9);
  close(m.weights, 2 * stage, 'weights (BF16)');
  close(m.gradients, 2 * stage, 'gradients (BF16 buffer)');
  close(m.optimizer, (12 * stage) / 8, 'optimizer (FP32 master + m + v, sharded over dp=8)');
});

test('ZeRO stages shard gradients (2) and weights (3) over data parallelism', () => {
  const l: Layout = { ...base, tp: 8, pp: 1, dp: 64 };
  const z1 = memoryPerGpu(llama70, { ...l, zero: 1 }, 8192, 8, 80e9);
  const z2 = memoryPerGpu(llama70, { ...l, zero: 2 }, 8192, 8, 80e9);
  const z3 = memoryPerGpu(llama70, { ...l, zero: 3 }, 8192, 8, 80e9);
  close(z2.gradients, z1.gradients / 64, 'ZeRO-2 gradients');
  close(z3.weights, z1.weights / 64, 'ZeRO-3 weights');
  assert.equal(z2.weights, z1.weights);
});

test('activations per token per layer: hand-computed for SP + TP, and full recompute keeps only the layer input', () => {
  // Hand (bytes, BF16): norm/residual part 4h x 2 / t; Q,K,V,O 2 x (2 x 8192 + 2 x 1024) / t; SwiGLU 3 x 28672 x 2 / t.
  const h = 8192;
  const hand = (4 * h * 2) / 8 + (2 * (2 * 8192 + 2 * 1024)) / 8 + (3 * 28672 * 2) / 8;
  close(activationBytesPerTokenPerLayer(llama70, base), hand, 'selective/none');
  close(activationBytesPerTokenPerLayer(llama70, { ...base, recompute: 'full' }), (h * 2) / 8, 'full recompute');
  assert.ok(activationBytesPerTokenPerLayer(llama70, { ...base, sp: false }) > hand, 'without SP the norm part is replicated');
});

test('1F1B keeps pp micro-batches in flight on stage 0; interleaving adds (p-1)/(p v)', () => {
  const plain = memoryPerGpu(llama70, base, 8192, 32, 80e9);
  const inter = memoryPerGpu(llama70, { ...base, vpp: 5 }, 8192, 32, 80e9);
  const logits = (8192 * 128256 * 4) / 8;
  const perLayer = activationBytesPerTokenPerLayer(llama70, base) * 8192;
  close(plain.activations, perLayer * 20 * 4 + logits, 'plain 1F1B: 20 layers x 4 in flight');
  close(inter.activations, perLayer * 20 * 4 * (1 + 3 / 20) + logits, 'interleaved');
  assert.ok(plain.total < plain.limit, 'this layout fits 80 GB');
});

test('FP8 keeps the four GEMM inputs as 1-byte casts: h + h (replicated part) + d_q + FFN width saved per token', () => {
  const bf16 = activationBytesPerTokenPerLayer(llama70, base);
  const fp8 = activationBytesPerTokenPerLayer(llama70, base, true);
  const hand = (2 * 8192) / 8 + (8192 + 28672) / 8; // one byte less for each saved GEMM input
  close(bf16 - fp8, hand, 'FP8 saving');
});

test('PyTorch FSDP keeps the sharded FP32 parameter as its only full-precision copy: 16 B/param under ZeRO-3 (FP32 param, FP32 gradient shard, Adam m, v), no BF16 shard, no master', () => {
  const llama8 = modelShape(MODELS['llama3-8b']!);
  const fsdp: Layout = { tp: 1, pp: 1, vpp: 1, dp: 8, cp: 1, ep: 1, mbs: 1, zero: 3, sp: false, recompute: 'none', tpOverlap: false };
  const perGpu = stageParams(llama8, fsdp).dense / 8;
  const states = (m: { weights: number; gradients: number; optimizer: number }): number => m.weights + m.gradients + m.optimizer;
  for (const gradBytes of [4, 2]) {
    const m = memoryPerGpu(llama8, fsdp, 8192, 1, 80e9, true, false, gradBytes, 'pytorch-fsdp');
    close(m.weights, 4 * perGpu, `weights: the FP32 shard only (reduce in ${gradBytes} B)`);
    close(m.gradients, 4 * perGpu, `gradients: the reduced shard is cast to the FP32 parameter's dtype (reduce in ${gradBytes} B)`);
    close(m.optimizer, 8 * perGpu, 'optimizer: Adam m and v, no master copy');
  }
  // Megatron-Core and DeepSpeed keep their documented layout: BF16 weights + a separate FP32 master (2 B more with an FP32 reduction).
  close(states(memoryPerGpu(llama8, fsdp, 8192, 1, 80e9, true, false, 4)), 18 * perGpu, 'master-copy layout, FP32 gradients');
  // Not resharded after forward: the whole BF16 compute copy stays beside the FP32 shard.
  close(memoryPerGpu(llama8, { ...fsdp, reshardAfterForward: false }, 8192, 1, 80e9, true, false, 4, 'pytorch-fsdp').weights, 4 * perGpu + 2 * perGpu * 8, 'reshard=off weights');

  // The stack picks the layout: fsdp and fsdp-compile plan PyTorch FSDP's states, megatron its own.
  const plan = (stack: string): number => {
    const ctx = planContext({ model: MODELS['llama3-8b']!, hardware: homogeneousHardware('h100', 8), precision: 'bf16', seq: 8192, tokens: 1e12, stack: parseStack(stack) });
    return states(evaluateLayout(ctx, fsdp, 8).memory);
  };
  close(plan('fsdp'), 16 * perGpu, 'fsdp');
  close(plan('fsdp-compile'), 16 * perGpu, 'fsdp-compile');
  close(plan('megatron'), 16 * perGpu, 'megatron (BF16 reduce: 2 + 2 + 12)');
  close(plan('megatron,grad-reduce=fp32'), 18 * perGpu, 'megatron with FP32 gradients');
});
