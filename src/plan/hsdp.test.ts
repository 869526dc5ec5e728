// HSDP (FSDP hybrid sharding) as a layout of its own: `shard=N`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { ImpossibleError } from '../lib/errors.ts';
import { planContext } from './context.ts';
import { evaluateLayout } from './evaluate.ts';
import { homogeneousHardware } from './fleet-hardware.ts';
import { formatLayout, parseLayout, type Layout } from './layout.ts';
import { bestLayouts } from './search.ts';
import { stackPreset } from './stack.ts';

const ctx = planContext({ model: MODELS['llama3-8b']!, hardware: homogeneousHardware('h100', 64), precision: 'bf16', seq: 8192, tokens: 1e12, stack: stackPreset('fsdp') });
const fsdp: Layout = { tp: 1, pp: 1, vpp: 1, dp: 64, cp: 1, ep: 1, mbs: 1, zero: 3, sp: false, recompute: 'selective', tpOverlap: false };
const hsdp: Layout = { ...fsdp, shard: 8 };

test('shard=N parses, and formats only when it is a real hybrid (zero=3, N < dp x cp)', () => {
  assert.equal(parseLayout('zero=3,shard=8').shard, 8);
  assert.match(formatLayout(hsdp), /zero=3,.*,shard=8$/);
  assert.doesNotMatch(formatLayout({ ...fsdp, shard: 64 }), /shard/);
  assert.doesNotMatch(formatLayout({ ...hsdp, zero: 1 }), /shard/);
});

test('HSDP memory: states sharded over the group of 8, not all 64 ranks', () => {
  const a = evaluateLayout(ctx, fsdp, 512).memory;
  const b = evaluateLayout(ctx, hsdp, 512).memory;
  for (const k of ['weights', 'gradients', 'optimizer'] as const) assert.ok(Math.abs(b[k] / a[k] - 8) < 1e-9, `${k}: ${b[k]} vs ${a[k]}`);
  assert.equal(evaluateLayout(ctx, { ...fsdp, shard: 64 }, 512).memory.total, a.total, 'shard = dp is plain FSDP');
});

test('HSDP communication: gathers and reduce-scatters inside the node, one all-reduce across the replicas per step', () => {
  const big = planContext({ ...ctx.req, hardware: homogeneousHardware('h100', 1024) });
  const a = evaluateLayout(big, { ...fsdp, dp: 1024 }, 4096).step;
  const b = evaluateLayout(big, { ...hsdp, dp: 1024 }, 4096).step;
  assert.match(b.dp.algorithm, /HSDP shard 8, all-reduce across 128 replicas/);
  assert.match(b.dp.algorithm, /ring nvlink x8/, 'the per-layer collectives stay on NVLink');
  // 4 micro-batches on 128 nodes: FSDP's rings cross all 128 nodes every micro-batch (a step latency per node);
  // HSDP crosses the fabric once per step.
  assert.ok(b.dp.totalSeconds < a.dp.totalSeconds, `${b.dp.totalSeconds} < ${a.dp.totalSeconds}`);
  const b64 = evaluateLayout(ctx, hsdp, 512).step;
  // The replica all-reduce is there: more DP time than the same in-node sharding without replicas to sync.
  const one = evaluateLayout(planContext({ ...ctx.req, hardware: homogeneousHardware('h100', 8) }), { ...fsdp, dp: 8 }, 64).step;
  assert.ok(b64.dp.totalSeconds > one.dp.totalSeconds, `${b64.dp.totalSeconds} > ${one.dp.totalSeconds}`);
});

test('the search plans HSDP where it helps and takes a fixed shard=; a shard that does not divide dp x cp or a ZeRO stage below 3 is refused by name', () => {
  const r = bestLayouts(ctx, { fixed: { tp: 1, pp: 1, cp: 1, zero: 3, shard: 8 }, globalBatchSeqs: 512, top: 1 });
  assert.equal(r.ranked[0]!.layout.shard, 8);
  assert.throws(() => bestLayouts(ctx, { fixed: { tp: 1, pp: 1, cp: 1, zero: 3, shard: 3 }, globalBatchSeqs: 512 }), (e: unknown) => e instanceof ImpossibleError && /shard= \(HSDP\) needs zero=3 and must divide dp x cp/.test(e.message));
  assert.throws(() => bestLayouts(ctx, { fixed: { tp: 1, pp: 1, cp: 1, zero: 1, shard: 8 }, globalBatchSeqs: 512 }), (e: unknown) => e instanceof ImpossibleError && /shard= \(HSDP\)/.test(e.message));
  const free = bestLayouts(ctx, { fixed: { tp: 1, pp: 1, cp: 1, zero: 3 }, globalBatchSeqs: 512, top: 20 });
  assert.ok(free.ranked.some((e) => e.layout.shard === 8), 'HSDP within a node is a search candidate');
});
