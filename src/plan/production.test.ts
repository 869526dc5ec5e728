import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { planContext } from './context.ts';
import { evaluateLayout } from './evaluate.ts';
import { homogeneousHardware } from './fleet-hardware.ts';
import type { Layout } from './layout.ts';
import { stackPreset } from './stack.ts';

const layout: Layout = { tp: 8, pp: 1, vpp: 1, dp: 128, cp: 1, ep: 1, mbs: 1, zero: 1, sp: true, recompute: 'none', tpOverlap: true };
const req = { model: MODELS['llama3-70b']!, hardware: homogeneousHardware('h100', 1024), precision: 'bf16', seq: 8192, tokens: 1e12 } as const;

test('production mode adds stragglers, data loading and logging to the step; benchmark mode adds nothing', () => {
  const bench = evaluateLayout(planContext(req), layout, 1024).step;
  const prod = evaluateLayout(planContext({ ...req, mode: 'production' }), layout, 1024).step;
  assert.equal(bench.production, undefined);
  const p = prod.production!;
  assert.ok(p.stragglerSeconds > 0 && p.dataLoadingSeconds > 0 && p.loggingSeconds > 0);
  assert.ok(Math.abs(prod.stepSeconds - bench.stepSeconds - (p.stragglerSeconds + p.dataLoadingSeconds + p.loggingSeconds)) < 1e-12);
  // Expected maximum of N draws: mean + sd sqrt(2 ln N), with the H200 jitter's CV.
  assert.ok(Math.abs(p.stragglerSeconds / bench.stepSeconds - (2.8 / 357.5) * Math.sqrt(2 * Math.log(1024))) < 1e-12);
  assert.equal(p.sources.length, 4);
});

test('checkpoint stalls follow the stack: an asynchronous save blocks far less than a synchronous one', () => {
  const asyncSave = evaluateLayout(planContext({ ...req, mode: 'production', stack: stackPreset('megatron') }), layout, 1024).step.production!;
  const syncSave = evaluateLayout(planContext({ ...req, mode: 'production', stack: stackPreset('fsdp') }), { ...layout, tpOverlap: false }, 1024).step.production!;
  assert.ok(syncSave.checkpointBlockingSeconds > 20 * asyncSave.checkpointBlockingSeconds);
});
