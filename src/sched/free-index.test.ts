import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreeIndex, maskOf, popcount } from './free-index.ts';
import type { ClusterNode, ClusterTopology } from '../fleet/types.ts';
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


const nodesOf = (specs: Partial<ClusterNode>[]): ClusterTopology => ({
  nodes: specs.map((s, index) => ({ index, name: `n${index}`, gpuType: 'h100', gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false, ...s })),
  leafCount: 1, spineCount: 1,
});

test('popcount counts the set bits of a 32-bit mask, the top bit included', () => {
  for (const [m, n] of [[0, 0], [1, 1], [0b1011, 3], [0xff, 8], [0x80000000, 1], [0xffffffff, 32], [0x55555555, 16], [0xf0f0f0f0, 16]] as const) assert.equal(popcount(m), n, m.toString(16));
});

test('free index: a GPU-less node is one slot, taken and freed whole; a 32-GPU node uses every bit', () => {
  const t = nodesOf([{ gpuType: 'cpu', gpus: 0 }, { gpus: 32 }, { gpus: 40 }]);
  const f = FreeIndex.empty(t);
  f.releaseAll([0, 1, 2]);
  assert.equal(f.totalFree, 3);
  assert.deepEqual(f.classes.map((c) => [c.gpus, c.slots, c.fullMask >>> 0]), [[0, 1, 1], [32, 32, 0xffffffff], [40, 32, 0xffffffff]]);
  assert.equal(maskOf(f.classes[0]!, []), 1, 'a CPU node: the empty GPU list still means the node');
  assert.equal(maskOf(f.classes[1]!, undefined), 0xffffffff);
  assert.equal(maskOf(f.classes[1]!, [0, 31]), 0x80000001);
  f.takeGpus(0, []);
  assert.equal(f.isFree(0), false);
  f.takeGpus(1, [31]);
  assert.deepEqual([f.freeGpus(1), f.classPartialTotal(1, 31), f.totalFree], [31, 1, 1]);
  f.releaseJob({ nodeIndices: [0, 1], gpuIndices: [[], [31]] });
  assert.equal(f.totalFree, 3);
  f.takeAll([0, 1, 2]);
  assert.deepEqual([f.totalFree, f.freeGpus(2)], [0, 0]);
});

test('free index: classes by preference: owned first, then the cheaper rented pool, then fleet order; leaves and spines grouped', () => {
  const t: ClusterTopology = {
    nodes: [
      { index: 0, name: 'r4', gpuType: 'h100', gpus: 8, leaf: 0, spine: 0, pool: 'dear', rented: true, pricePerGpuHourUsd: 4 },
      { index: 1, name: 'b', gpuType: 'b200', gpus: 8, leaf: 1, spine: 0, pool: 'hall-b', rented: false },
      { index: 2, name: 'r2', gpuType: 'h100', gpus: 8, leaf: 2, spine: 1, pool: 'cheap', rented: true, pricePerGpuHourUsd: 2 },
      { index: 3, name: 'a', gpuType: 'h100', gpus: 8, leaf: 3, spine: 1, pool: 'hall-a', rented: false, pricePerGpuHourUsd: 9 },
      { index: 4, name: 'a2', gpuType: 'h100', gpus: 8, leaf: 3, spine: 1, pool: 'hall-a', rented: false },
    ],
    leafCount: 4, spineCount: 2,
  };
  const f = FreeIndex.empty(t);
  assert.deepEqual(f.classes.map((c) => [c.gpuType, c.rented, c.pricePerGpuHourUsd]), [['b200', false, 0], ['h100', false, 0], ['h100', true, 2], ['h100', true, 4]],
    'an owned node\'s price is ignored: owned nodes are paid for');
  assert.deepEqual(Array.from(f.classOf), [3, 0, 2, 1, 1]);
  assert.deepEqual(f.leafNodes.map((l) => Array.from(l)), [[0], [1], [2], [3, 4]]);
  assert.deepEqual(f.spineLeaves.map((l) => Array.from(l)), [[0, 1], [2, 3]]);
  f.releaseAll([0, 3, 4]);
  assert.deepEqual([f.classTotalFree(1), Array.from(f.classLeafFree(1)), Array.from(f.classSpineFree(1)), f.classTotalFree(3), Array.from(f.spineFree)], [2, [0, 0, 0, 2], [0, 2], 1, [1, 2]]);
  assert.equal(FreeIndex.empty(t).classes, f.classes, 'the shared structure is built once per topology');
});

test('free index: rollback without a mark is a no-op; changes while not recording stay', () => {
  const f = FreeIndex.empty(gridTopology(1, 1, 2));
  f.release(0);
  f.rollback(0);
  assert.equal(f.isFree(0), true);
  const m = f.mark();
  f.release(0); // no change: nothing to undo
  f.release(1);
  f.rollback(m);
  assert.deepEqual([f.isFree(0), f.isFree(1)], [true, false]);
});

test('free index: a clone shares nothing mutable; jobs without GPU lists hold whole nodes', () => {
  const topo = gridTopology(2, 1, 2);
  const f = FreeIndex.empty(topo);
  f.releaseAll([0, 1, 2, 3]);
  f.takeGpus(3, [0]);
  const snap = (x: FreeIndex): string => JSON.stringify([Array.from(x.free), Array.from(x.gpuFree), Array.from(x.leafFree), Array.from(x.spineFree), x.totalFree,
    Array.from(x.classLeafFree(0)), Array.from(x.classSpineFree(0)), x.classTotalFree(0), Array.from(x.classLeafPartial(0, 7)), x.classPartialTotal(0, 7)]);
  const before = snap(f);
  const c = f.clone();
  c.takeJob({ nodeIndices: [0, 3] });
  c.takeGpus(1, [2]);
  assert.equal(snap(f), before);
  assert.deepEqual([c.isFree(0), c.freeGpus(3), c.freeGpus(1), c.totalFree], [false, 0, 7, 1]);
  c.releaseJob({ nodeIndices: [0] });
  assert.equal(c.isFree(0), true);
});
