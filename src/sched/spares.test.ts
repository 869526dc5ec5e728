import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestSpare } from './spares.ts';
import { gridTopology } from './test-cluster.ts';

test('nearestSpare: same leaf, else same spine, else the lowest index; none when empty', () => {
  const topo = gridTopology(2, 2, 4); // leaves: 0-3, 4-7 (spine 0); 8-11, 12-15 (spine 1)
  const cases: { name: string; spares: number[]; failed: number; want: number | undefined }[] = [
    { name: 'same leaf', spares: [14, 5, 2], failed: 1, want: 2 },
    { name: 'same spine', spares: [14, 5], failed: 1, want: 5 },
    { name: 'any, lowest index', spares: [14, 9], failed: 1, want: 9 },
    { name: 'no spares', spares: [], failed: 1, want: undefined },
  ];
  for (const c of cases) assert.equal(nearestSpare(topo, new Set(c.spares), c.failed), c.want, c.name);
});

test('nearestSpare: a spare on the failed node\'s spine beats a lower index elsewhere; the lowest index wins whatever the order', () => {
  const topo = gridTopology(2, 2, 4); // spine 0: nodes 0-7, spine 1: nodes 8-15
  assert.equal(nearestSpare(topo, new Set([2, 9]), 13), 9, 'same spine (leaf 2) before node 2 of spine 0');
  assert.equal(nearestSpare(topo, new Set([10, 9]), 13), 10, 'of two on the same spine, the first listed');
  assert.equal(nearestSpare(topo, new Set([9, 14]), 1), 9, 'no spare near: the lowest index, listed first');
  assert.equal(nearestSpare(topo, new Set([14, 9]), 1), 9, 'no spare near: the lowest index, listed last');
});
