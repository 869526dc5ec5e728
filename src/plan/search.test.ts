import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { ImpossibleError, InputError } from '../lib/errors.ts';
import { planContext } from './context.ts';
import { homogeneousHardware } from './fleet-hardware.ts';
import { formatLayout, layoutGpus } from './layout.ts';
import { bestLayouts, defaultGlobalBatch, searchLayouts } from './search.ts';

const ctxFor = (model: string, gpus: number, seq = 8192) =>
  planContext({ model: MODELS[model]!, hardware: homogeneousHardware('h100', gpus), precision: 'bf16', seq, tokens: 1e12 });

test('the search returns the same best layout for the same input', () => {
  const a = searchLayouts(ctxFor('llama3-70b', 512), { top: 3 });
  const b = searchLayouts(ctxFor('llama3-70b', 512), { top: 3 });
  assert.deepEqual(a.ranked.map((e) => formatLayout(e.layout)), b.ranked.map((e) => formatLayout(e.layout)));
  assert.equal(a.evaluated, b.evaluated);
});

test('every layout returned fits memory, uses at most the GPUs, and the list is best first', () => {
  const r = searchLayouts(ctxFor('grok-1', 1024), { top: 5 });
  assert.ok(r.ranked.length > 0);
  for (const e of r.ranked) {
    assert.ok(e.memory.total <= e.memory.limit, formatLayout(e.layout));
    assert.ok(layoutGpus(e.layout) <= 1024);
  }
  for (let i = 1; i < r.ranked.length; i++) assert.ok(r.ranked[i - 1]!.tokensPerSecond >= r.ranked[i]!.tokensPerSecond);
});

test('a layout over memory is rejected, with the limit it broke', () => {
  // 405B on one node without sharding: weights alone are 405e9 x 2 / 8 = 101 GB per GPU.
  const r = searchLayouts(ctxFor('llama3-405b', 8), { fixed: { tp: 8, pp: 1, dp: 1, cp: 1, zero: 0, recompute: 'full', mbs: 1 }, globalBatchSeqs: 16 });
  assert.equal(r.ranked.length, 0);
  assert.ok(r.rejections.some((x) => x.reason === 'does not fit GPU memory'));
  assert.ok(r.closestOverMemory && r.closestOverMemory.memory.weights > 80e9);
  assert.throws(() => bestLayouts(ctxFor('llama3-405b', 8), {}), (e: unknown) => e instanceof ImpossibleError && /fits/.test(e.message) && /GB/.test(e.message) && /--gpus/.test(e.hint));
});

test('searching keeps the keys the user fixed and chooses the rest', () => {
  const r = bestLayouts(ctxFor('llama3-70b', 256), { fixed: { tp: 4, recompute: 'selective' }, top: 2 });
  for (const e of r.ranked) {
    assert.equal(e.layout.tp, 4);
    assert.equal(e.layout.recompute, 'selective');
  }
});

test('a full layout whose product is not the GPU count is an input error naming what would work', () => {
  assert.throws(() => bestLayouts(ctxFor('llama3-70b', 256), { fixed: { tp: 8, pp: 4, cp: 1, dp: 4 } }),
    (e: unknown) => e instanceof InputError && /256/.test(e.message) && /128/.test(e.message));
});

test('allowOverMemory (validation of a run that did run) evaluates the layout and keeps the memory verdict', () => {
  const fixed = { tp: 8, pp: 1, dp: 1, cp: 1, zero: 0, recompute: 'full', mbs: 1 } as const;
  const r = searchLayouts(ctxFor('llama3-405b', 8), { fixed, globalBatchSeqs: 16, allowOverMemory: true });
  assert.equal(r.ranked.length, 1);
  assert.ok(r.ranked[0].memory.total > r.ranked[0].memory.limit);
});

test('a --layout tp that does not divide the heads, or a cp that does not divide the sequence, is impossible and says why', () => {
  assert.throws(() => bestLayouts(ctxFor('llama3-70b', 96), { fixed: { tp: 3 } }), (e: unknown) => e instanceof ImpossibleError && /tp must divide the 64 attention heads and the 8 KV heads/.test(e.message));
  assert.throws(() => bestLayouts(ctxFor('grok-1', 64), { fixed: { tp: 8, cp: 3 } }), (e: unknown) => e instanceof ImpossibleError && /cp must divide half the sequence/.test(e.message));
  assert.equal(bestLayouts(ctxFor('llama3-70b', 96), { fixed: { tp: 4 } }).ranked[0]!.layout.tp, 4);
});

test('a given global batch is used exactly: never rounded; what cannot be split is an error saying what would work', () => {
  // 16M tokens of 8192 = 1953 sequences cannot be split over dp 128: the old planner rounded it to 1920 or 2048.
  assert.throws(() => bestLayouts(ctxFor('llama3-405b', 16384), { fixed: { tp: 8, pp: 16, cp: 1, dp: 128, mbs: 1 }, globalBatchSeqs: 1953, top: 1 }),
    (e: unknown) => e instanceof ImpossibleError && /1,953 sequences cannot be split/.test(e.message) && /1,920 or 2,048 sequences for dp = 128/.test(e.message));
  const r = bestLayouts(ctxFor('llama3-405b', 16384), { fixed: { tp: 8, pp: 16, cp: 1, dp: 128 }, globalBatchSeqs: 2048, top: 3 });
  for (const e of r.ranked) {
    assert.equal(e.globalBatchSeqs, 2048);
    assert.equal((2048 / 128) % e.layout.mbs, 0, 'mbs divides the per-rank batch');
  }
  assert.ok(r.ranked[0]!.layout.vpp > 1, 'interleaving: 16 micro-batches on pp 16');
});

test('the default batch follows the stated compute-budget rule, and the search moves it at most a factor of 2', () => {
  const ctx = planContext({ model: MODELS['llama3-8b']!, hardware: homogeneousHardware('h100', 64), precision: 'bf16', seq: 4096, tokens: 2e12 });
  const d = defaultGlobalBatch(ctx);
  assert.ok(d.tokens > 6e6 && d.tokens < 12e6, `8B on 2T tokens: ${d.tokens}`);
  assert.match(d.rule, /DeepSeek LLM/);
  const big = defaultGlobalBatch(planContext({ ...ctx.req, tokens: 2e14 }));
  assert.ok(Math.abs(big.tokens / d.tokens - 100 ** 0.3271) < 1e-6, 'B grows as C^0.3271');
  for (const e of searchLayouts(ctx, { top: 3 }).ranked) assert.ok(e.globalBatchSeqs <= 2 * d.seqs && e.globalBatchSeqs >= d.seqs / 2);
});
