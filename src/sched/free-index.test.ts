import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreeIndex } from './free-index.ts';
import { gridTopology } from './test-cluster.ts';

test('free index: nested marks roll back exactly, counts stay consistent', () => {
  const topo = gridTopology(2, 2, 4);
  const f = FreeIndex.empty(topo);
  for (let i = 0; i < 16; i++) if (i % 3 !== 0) f.release(i);
  const snapshot = (): string => JSON.stringify([Array.from(f.free), Array.from(f.leafFree), Array.from(f.spineFree), f.totalFree]);
  const before = snapshot();
  const outer = f.mark();
  f.take(1); f.take(2);
  const inner = f.mark(); // an empty-so-far inner mark must not end recording
  f.release(0); f.take(4);
  f.rollback(inner);
  f.take(5); f.release(3);
  f.rollback(outer);
  assert.equal(snapshot(), before);
  f.take(7); // after the outermost rollback nothing is recorded
  assert.equal(f.isFree(7), false);
  const leafSum = Array.from(f.leafFree).reduce((a, b) => a + b, 0);
  assert.equal(leafSum, f.totalFree);
  const first = f.mark();
  f.take(8);
  const nested = f.mark();
  assert.equal(nested, 1);
  f.rollback(nested);
  f.rollback(first);
  assert.equal(f.isFree(8), true);
});
