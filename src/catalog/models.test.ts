import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from './models.ts';
import { paramCounts } from './model-params.ts';

for (const [id, m] of Object.entries(MODELS)) {
  test(`${id}: parameters computed from the architecture are within 1% of the published ${m.publishedParams / 1e9}B`, () => {
    const p = paramCounts(m);
    const err = Math.abs(p.total / m.publishedParams - 1);
    assert.ok(err < 0.01, `${id}: computed ${(p.total / 1e9).toFixed(2)}B, ${(err * 100).toFixed(2)}% off`);
    if (m.publishedActiveParams !== undefined) {
      const errActive = Math.abs(p.active / m.publishedActiveParams - 1);
      assert.ok(errActive < 0.02, `${id}: active ${(p.active / 1e9).toFixed(2)}B vs ${m.publishedActiveParams / 1e9}B`);
    }
  });
}

test('a dense model has no expert parameters and active equals total', () => {
  const p = paramCounts(MODELS['llama3-70b']!);
  assert.equal(p.expertFfn, 0);
  assert.equal(p.active, p.total);
});

test('hand calculation: Llama 3 8B attention per layer is 4096*4096*2 + 4096*1024*2', () => {
  const p = paramCounts(MODELS['llama3-8b']!);
  assert.equal(p.attention, 32 * (4096 * 4096 * 2 + 4096 * 1024 * 2));
});
