import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURE_CATEGORIES } from '../catalog/reliability.ts';
import { Rng } from '../lib/rng.ts';
import { DEFAULT_FAILURE_MODEL, drawCategory, hardwareShare, makeNodePicker, normalCdf, sparesNeeded } from './failures.ts';

test('failure categories are drawn in Llama 3 Table 5 proportions', () => {
  const rng = new Rng(11);
  const n = 200_000;
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) { const c = drawCategory(rng); counts.set(c.id, (counts.get(c.id) ?? 0) + 1); }
  const total = FAILURE_CATEGORIES.reduce((a, c) => a + c.llama3Count, 0);
  for (const c of FAILURE_CATEGORIES) {
    const want = c.llama3Count / total;
    const got = (counts.get(c.id) ?? 0) / n;
    assert.ok(Math.abs(got - want) < 4 * Math.sqrt((want * (1 - want)) / n) + 1e-4, `${c.id}: ${got} vs ${want}`);
  }
  assert.ok(Math.abs(hardwareShare() - 358 / 419) < 1e-12, 'software bug + NCCL timeout = 61 of 419 restart in place');
});

test('lemon nodes: a fraction of nodes takes factor-times its share of failures', () => {
  const nodes = 1000;
  const pick = makeNodePicker({ ...DEFAULT_FAILURE_MODEL, lemonFraction: 0.15, lemonRateFactor: 5 }, nodes, new Rng(2));
  const hits = new Int32Array(nodes);
  for (let i = 0; i < 100_000; i++) hits[pick()]!++;
  const lemon = (i: number): boolean => (i * 0.6180339887498949) % 1 < 0.15;
  let lemonHits = 0; let lemonCount = 0;
  for (let i = 0; i < nodes; i++) if (lemon(i)) { lemonHits += hits[i]!; lemonCount++; }
  const want = (lemonCount * 5) / (lemonCount * 5 + (nodes - lemonCount));
  assert.ok(Math.abs(lemonHits / 100_000 - want) < 0.01, `lemon share ${lemonHits / 100_000} vs ${want}`);
  const uniform = makeNodePicker(DEFAULT_FAILURE_MODEL, nodes, new Rng(2));
  for (let i = 0; i < 1000; i++) { const n = uniform(); assert.ok(n >= 0 && n < nodes); }
});

test('spares: the 99th percentile of nodes in repair grows with fleet and horizon', () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7 && Math.abs(normalCdf(2.326) - 0.99) < 1e-3);
  const s16k = sparesNeeded(DEFAULT_FAILURE_MODEL, 2048, 54 * 86_400);
  assert.ok(sparesNeeded(DEFAULT_FAILURE_MODEL, 12_500, 54 * 86_400) > s16k);
  assert.ok(sparesNeeded(DEFAULT_FAILURE_MODEL, 2048, 10 * 86_400) < s16k);
  // More than ByteRobust's 4 per 1,024 (the heavy repair tail), below Delta's 5%.
  assert.ok(s16k > 8 && s16k < 0.05 * 2048, `${s16k}`);
});
