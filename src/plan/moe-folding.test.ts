import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { ImpossibleError } from '../lib/errors.ts';
import { planContext } from './context.ts';
import { homogeneousHardware } from './fleet-hardware.ts';
import { formatLayout, parseLayout, type Layout } from './layout.ts';
import { layerCost } from './layer-cost.ts';
import { stageParams } from './memory.ts';
import { bestLayouts } from './search.ts';

const ctx = planContext({ model: MODELS['deepseek-v3']!, hardware: homogeneousHardware('h100', 512), precision: 'bf16', seq: 4096, tokens: 1e12 });

test('MoE parallel folding: ep spans tp x cp x dp with its own expert tp (tp=4, dp=8, ep=32, etp=1)', () => {
  // 4 x 8 = 32 ranks per pipeline stage: ep 32 does not fit inside dp 8 unless folded over tp.
  assert.throws(() => bestLayouts(ctx, { fixed: { tp: 4, pp: 16, cp: 1, dp: 8, ep: 32 }, globalBatchSeqs: 512 }),
    (e: unknown) => e instanceof ImpossibleError && /ep must divide the experts and dp x cp \(or fold it over tp with etp=\)/.test(e.message));
  const r = bestLayouts(ctx, { fixed: { ...parseLayout('tp=4,pp=16,cp=1,dp=8,ep=32,etp=1') }, globalBatchSeqs: 512, top: 1 });
  const l = r.ranked[0]!.layout;
  assert.match(formatLayout(l), /ep=32,.*etp=1$/);
  assert.equal(stageParams(ctx.shape, l).expert * 32, stageParams(ctx.shape, { ...l, ep: 1, etp: 1 }).expert, 'experts split etp 1 x ep 32 ways');
  const etp4: Layout = { ...l, ep: 8, etp: 4 };
  assert.equal(stageParams(ctx.shape, etp4).expert, stageParams(ctx.shape, l).expert, 'etp 4 x ep 8 holds the same share');
  assert.match(layerCost(ctx, etp4).epAlgorithm, /expert tp all-gather\/reduce-scatter of routed tokens x4/);
  assert.match(layerCost(ctx, l).epAlgorithm, /all-to-all/);
  assert.doesNotMatch(layerCost(ctx, l).epAlgorithm, /tp all-gather/, 'etp 1: no expert tensor-parallel gather');
});
