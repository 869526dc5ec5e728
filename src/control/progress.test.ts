// Plan versus actual: the progress contract's parser and the measurement against a plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobPlan } from './job-plan.ts';
import { measure, parseProgress } from './progress.ts';

const plan = { tokensPerSecondPerGpu: 1000, stepSeconds: 2, modelFlopsPerToken: 1e11, peakFlopsPerSecondPerGpu: 1e15, gpus: 8 } as JobPlan;
/** Steps every `stepSeconds`, 16,000 tokens each (8 GPUs x 1,000 tokens/s x 2 s at plan speed). */
const lines = (stepSeconds: number, n = 10) => Array.from({ length: n }, (_, i) => `step=${i + 1} tokens=${(i + 1) * 16_000} time=${1000 + (i + 1) * stepSeconds}`).join('\n') + '\n';

test('parseProgress reads step, tokens and time; a line without time is stamped; junk is skipped, never fatal', () => {
  const r = parseProgress('step=1 tokens=100 time=5.5\nstep=2 tokens=200\nloss 3.2\n\n', 42);
  assert.deepEqual(r.samples, [{ step: 1, tokens: 100, timeSeconds: 5.5 }, { step: 2, tokens: 200, timeSeconds: 42 }]);
  assert.equal(r.malformed, 1);
});

test('measure: step time, tokens/s per GPU and MFU of the recent samples, beside the plan', () => {
  const a = measure(parseProgress(lines(2), 0).samples, 8, plan)!;
  assert.equal(a.stepSeconds, 2);
  assert.equal(a.tokensPerSecondPerGpu, 1000);
  assert.equal(a.mfu, 0.1);
  assert.equal(a.slowdown, 1);
  assert.equal(a.slow, false);
  assert.equal(a.step, 10);
});

const cases: [string, number, boolean][] = [['on plan', 2, false], ['15% slower', 2.3, false], ['30% slower: a straggler', 2.6, true]];
for (const [name, stepSeconds, slow] of cases) {
  test(`measure flags a job more than 20% slower than its plan: ${name}`, () => {
    const a = measure(parseProgress(lines(stepSeconds), 0).samples, 8, plan)!;
    assert.equal(a.slow, slow);
    assert.ok(Math.abs(a.slowdown! - stepSeconds / 2) < 1e-9);
  });
}

test('measure: only the current attempt counts; one sample or no plan gives what it can', () => {
  const s = parseProgress(lines(2), 0).samples;
  assert.equal(measure(s, 8, plan, 1019), undefined, 'one sample after the attempt start');
  const noPlan = measure(s, 0, undefined)!;
  assert.equal(noPlan.tokensPerSecondPerGpu, null);
  assert.equal(noPlan.mfu, null);
  assert.equal(noPlan.slow, false);
  assert.equal(noPlan.tokensPerSecond, 8000);
});
