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

const ctxFor = (stack: string) => planContext({ model: MODELS['llama3-70b']!, hardware: homogeneousHardware('h100', 256), precision: 'bf16', seq: 8192, tokens: 1e12, stack: stackPreset(stack) });

test('ZeRO-3 with pipeline parallelism is planned under stacks that run it, with and without resharding after forward', () => {
  const r = bestLayouts(ctxFor('fsdp'), { fixed: { tp: 8, pp: 4, cp: 1, zero: 3 }, globalBatchSeqs: 512, top: 10 });
  const texts = r.ranked.map((e) => formatLayout(e.layout));
  assert.ok(texts.every((t) => /pp=4,.*zero=3/.test(t)));
  assert.ok(r.ranked.length > 0);
  const l: Layout = { ...r.ranked[0]!.layout, reshardAfterForward: true };
  const kept = evaluateLayout(ctxFor('fsdp'), { ...l, reshardAfterForward: false }, 512);
  const resharded = evaluateLayout(ctxFor('fsdp'), l, 512);
  assert.ok(kept.step.dp.totalSeconds < resharded.step.dp.totalSeconds, 'no second all-gather for the backward');
  assert.ok(kept.memory.weights > resharded.memory.weights, 'the gathered BF16 weights stay in memory');
  assert.match(formatLayout({ ...l, reshardAfterForward: false }), /zero=3,.*reshard=off$/);
  assert.equal(parseLayout('reshard=off').reshardAfterForward, false);
});

test('megatron pairs pipelines with ZeRO-1 only: ZeRO-3 with pp says which stacks can', () => {
  assert.throws(() => bestLayouts(ctxFor('megatron'), { fixed: { tp: 8, pp: 4, cp: 1, zero: 3 }, globalBatchSeqs: 512 }),
    (e: unknown) => e instanceof ImpossibleError && /ZeRO-2\/3 with pipeline parallelism needs a stack that runs it \(fsdp, fsdp-compile, jax\); megatron does not/.test(e.message));
});
