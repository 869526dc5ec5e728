import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { reduceScatter, reduceScatterPipelined } from './collectives.ts';
import { planContext } from './context.ts';
import { evaluateLayout } from './evaluate.ts';
import { homogeneousHardware } from './fleet-hardware.ts';
import type { Layout } from './layout.ts';
import { layerCost } from './layer-cost.ts';

const hw = homogeneousHardware('h100', 1024);

test('a multi-node FSDP collective is pipelined: it costs its slower phase, not the sum of both', () => {
  const g = { size: 64, stride: 1 };
  const both = reduceScatter(hw, g, 1e9);
  const piped = reduceScatterPipelined(hw, g, 1e9);
  assert.match(both.algorithm, /hierarchical/);
  assert.ok(piped.seconds < both.seconds);
  const nvPhase = reduceScatter(hw, { size: 8, stride: 1 }, 1e9).seconds;
  assert.ok(piped.seconds >= nvPhase, 'never faster than its NVLink phase alone');
  assert.equal(reduceScatterPipelined(hw, { size: 8, stride: 1 }, 1e9).seconds, reduceScatter(hw, { size: 8, stride: 1 }, 1e9).seconds, 'inside one node there is one phase');
});

const ctx = planContext({ model: MODELS['llama3-70b']!, hardware: hw, precision: 'bf16', seq: 8192, tokens: 1e12 });
const base: Layout = { tp: 4, pp: 1, vpp: 1, dp: 128, cp: 2, ep: 1, mbs: 1, zero: 3, sp: true, recompute: 'full', tpOverlap: true };

test('a context-parallel ring that leaves the node is costed on the fabric', () => {
  const inNode = layerCost(ctx, base);
  const acrossNodes = layerCost(ctx, { ...base, cp: 4, dp: 64 });
  assert.match(inNode.cpAlgorithm, /nvlink/);
  assert.doesNotMatch(acrossNodes.cpAlgorithm, /nvlink/, acrossNodes.cpAlgorithm);
});

test('TP overlap is never slower than no overlap, and its chunks do not each pay a wave tail', () => {
  for (const tp of [2, 4, 8]) {
    for (const mbs of [1, 2]) {
      const l = { ...base, tp, mbs, cp: 1, dp: 1024 / tp };
      const on = layerCost(ctx, { ...l, tpOverlap: true });
      const off = layerCost(ctx, { ...l, tpOverlap: false });
      assert.ok(on.totalSeconds <= off.totalSeconds, `tp ${tp} mbs ${mbs}`);
      // Chunked GEMMs with a tail each would cost far more than the unsplit ones on the SMs left free.
      assert.ok(on.gemmSeconds < off.gemmSeconds * 1.2, `tp ${tp} mbs ${mbs}: ${on.gemmSeconds / off.gemmSeconds}`);
    }
  }
});

test('FSDP under the fsdp stack reduces FP32 gradients: more data-parallel traffic than BF16', () => {
  const l: Layout = { ...base, tp: 1, cp: 1, dp: 1024, sp: false, tpOverlap: false };
  const bf16 = evaluateLayout(ctx, l, 1024).step.dp.totalSeconds;
  const fp32 = evaluateLayout(planContext({ ...ctx.req, gradReduceFp32: true }), l, 1024).step.dp.totalSeconds;
  assert.ok(fp32 > 1.2 * bf16);
});
