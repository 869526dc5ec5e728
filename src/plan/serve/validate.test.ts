import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateServing } from './validate.ts';
import { SERVING_VALIDATION_ROWS } from './validation-rows.ts';

test('validate:serving covers every row and meets the issue target (median |error| <= 15%)', () => {
  const v = validateServing();
  assert.equal(v.rows.length, SERVING_VALIDATION_ROWS.length);
  for (const r of v.rows) assert.ok(Number.isFinite(r.predicted) && r.predicted > 0, r.id);
  assert.ok(v.medianAbsError <= 0.15, `median ${v.medianAbsError}`);
  assert.ok(v.maxAbsError >= v.medianAbsError);
});

test('the MLPerf server rows (latency-bounded) never exceed the offline (saturated) prediction', () => {
  const byId = new Map(validateServing().rows.map((r) => [r.id, r.predicted]));
  for (const m of ['llama2-70b', 'mixtral']) {
    assert.ok(byId.get(`mlperf-${m}-server-8xh100`)! <= byId.get(`mlperf-${m}-offline-8xh100`)! + 1e-9, m);
  }
});
