import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedMaxOfNormals, inverseNormalCdf, moeRouting } from './moe.ts';

test('inverse normal CDF matches known quantiles', () => {
  assert.ok(Math.abs(inverseNormalCdf(0.5)) < 1e-9);
  assert.ok(Math.abs(inverseNormalCdf(0.975) - 1.959964) < 1e-5);
  assert.ok(Math.abs(inverseNormalCdf(0.001) + 3.090232) < 1e-5);
});

test('the expected maximum of n normals grows with n (Blom: about 0.56 for 2, 1.42 for 8)', () => {
  assert.equal(expectedMaxOfNormals(1), 0);
  assert.ok(Math.abs(expectedMaxOfNormals(2) - 0.564) < 0.04);
  assert.ok(Math.abs(expectedMaxOfNormals(8) - 1.424) < 0.03);
  assert.ok(expectedMaxOfNormals(64) > expectedMaxOfNormals(8));
});

test('dropless routing: the slowest rank carries more than the balanced share, less so with more tokens', () => {
  const small = moeRouting(1024, 64, 16, undefined);
  const large = moeRouting(65536, 64, 16, undefined);
  assert.ok(small.imbalance > 0 && large.imbalance > 0);
  assert.ok(small.imbalance > 4 * large.imbalance); // sigma/mu shrinks as 1/sqrt(rows)
  assert.equal(small.localExperts, 4);
  assert.equal(moeRouting(1024, 8, 1, undefined).imbalance, 0); // one rank holds every expert
});

test('tokens padded to capacity: every expert computes exactly capacity rows', () => {
  const r = moeRouting(8192, 8, 2, 1.25);
  assert.equal(r.rows, 8192 * 1.25);
  assert.equal(r.localExperts, 4);
});
