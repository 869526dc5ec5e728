import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { InputError, UnknownNameError } from '../lib/errors.ts';
import { planContext } from './context.ts';
import { evaluateLayout } from './evaluate.ts';
import { homogeneousHardware } from './fleet-hardware.ts';
import type { Layout } from './layout.ts';
import { formatStack, parseStack, stackParameters, stackPreset, STACK_NAMES } from './stack.ts';

test('every preset states a source for every parameter', () => {
  for (const name of STACK_NAMES) {
    const params = stackParameters(stackPreset(name));
    assert.equal(params.length, 6);
    for (const p of params) assert.ok(p.source.length > 20, `${name} ${p.key}`);
  }
});

test('parseStack applies key overrides over the preset and records them', () => {
  const s = parseStack('fsdp,attention=fa2,optimizer=foreach,host-overhead=0.002');
  assert.equal(s.name, 'fsdp');
  assert.equal(s.attention.value, 'fa2');
  assert.equal(s.optimizer.value, 'foreach');
  assert.equal(s.hostOverheadSeconds.value, 0.002);
  assert.equal(s.fusion.value, 'eager', 'keys not given keep the preset');
  assert.equal(formatStack(s), 'fsdp,attention=fa2,optimizer=foreach,host-overhead=0.002');
});

test('bad stacks: unknown name and key list the known ones; out of range names the range; impossible says why', () => {
  assert.throws(() => parseStack('pytorch'), (e: unknown) => e instanceof UnknownNameError && /known: megatron, fsdp, fsdp-compile, deepspeed, jax/.test(e.message));
  assert.throws(() => parseStack('fsdp,kernels=fast'), (e: unknown) => e instanceof InputError && /attention, fusion, tp-overlap, grad-reduce, optimizer, host-overhead/.test(e.message));
  assert.throws(() => parseStack('fsdp,host-overhead=5'), (e: unknown) => e instanceof InputError && /range 0 to 1/.test(e.message));
  assert.throws(() => parseStack('fsdp,attention=fa4'), (e: unknown) => e instanceof InputError && /fa1, fa2, fa3, cudnn/.test(e.message));
  assert.throws(() => parseStack('fsdp,tp-overlap=on'), (e: unknown) => e instanceof InputError && /off under fsdp: eager PyTorch has no TP communication overlap/.test(e.message));
  assert.doesNotThrow(() => parseStack('fsdp-compile,tp-overlap=on'));
});

const layout: Layout = { tp: 1, pp: 1, vpp: 1, dp: 8, cp: 1, ep: 1, mbs: 1, zero: 1, sp: false, recompute: 'none', tpOverlap: false };
const ctxWith = (stack: string) => planContext({ model: MODELS['llama3-8b']!, hardware: homogeneousHardware('h100', 8), precision: 'bf16', seq: 8192, tokens: 1e12, stack: parseStack(stack) });

test('the default stack is megatron: no stack and --stack megatron plan the same step', () => {
  const a = evaluateLayout(planContext({ ...ctxWith('megatron').req, stack: undefined }), layout, 64).step;
  const b = evaluateLayout(ctxWith('megatron'), layout, 64).step;
  assert.equal(a.stepSeconds, b.stepSeconds);
});

test('each key moves the part it models, and only that part', () => {
  const base = evaluateLayout(ctxWith('megatron'), layout, 64).step;
  const eager = evaluateLayout(ctxWith('megatron,fusion=eager'), layout, 64).step;
  assert.ok(eager.elementwiseSeconds > 1.5 * base.elementwiseSeconds, 'eager kernels move bytes slower than fused ones');
  assert.equal(eager.gemmSeconds, base.gemmSeconds);
  const compiled = evaluateLayout(ctxWith('megatron,fusion=compiled'), layout, 64).step;
  assert.ok(compiled.elementwiseSeconds < eager.elementwiseSeconds && compiled.elementwiseSeconds > base.elementwiseSeconds, 'compile (Llama layer) sits between eager and TE');
  const fa2 = evaluateLayout(ctxWith('megatron,attention=fa2'), layout, 64).step;
  const fa1 = evaluateLayout(ctxWith('megatron,attention=fa1'), layout, 64).step;
  assert.ok(fa1.attentionSeconds > fa2.attentionSeconds && fa2.attentionSeconds > base.attentionSeconds);
  const fp32 = evaluateLayout(ctxWith('megatron,grad-reduce=fp32'), layout, 64).step;
  const ratio = fp32.dp.totalSeconds / base.dp.totalSeconds;
  assert.ok(ratio > 1.3 && ratio < 1.5, `FP32 gradients: the reduce-scatter's bytes double, the BF16 all-gather stays (${ratio})`);
  const foreach = evaluateLayout(ctxWith('megatron,optimizer=foreach'), layout, 64).step;
  const fused = evaluateLayout(ctxWith('megatron,optimizer=fused'), layout, 64).step;
  assert.ok(foreach.optimizerSeconds > 1.8 * fused.optimizerSeconds, 'foreach reaches less than half the fused bandwidth (fusion.json)');
  const host = evaluateLayout(ctxWith('megatron,host-overhead=0.01'), layout, 64).step;
  assert.ok(Math.abs(host.stepSeconds - base.stepSeconds - 0.01 * base.microbatches) < 1e-9, 'host overhead is paid once per micro-batch');
});
