import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allGather, allReduce, allToAll, reduceScatter } from './collectives.ts';
import { homogeneousHardware } from './fleet-hardware.ts';

const hw = homogeneousHardware('h100', 1024);
const nv = hw.tiers[0]!;

test('ring reduce-scatter inside a node: (N-1)/N x bytes / B + (N-1) alpha', () => {
  const bytes = 1e9;
  const c = reduceScatter(hw, { size: 8, stride: 1 }, bytes);
  const hand = (7 / 8) * (bytes / nv.busBytesPerSecondPerGpu) + 7 * nv.stepLatencySeconds;
  assert.ok(Math.abs(c.seconds / hand - 1) < 1e-9);
  assert.match(c.algorithm, /ring nvlink x8/);
  assert.equal(allGather(hw, { size: 8, stride: 1 }, bytes).seconds, c.seconds);
});

test('a group that leaves the node is hierarchical and slower than the same group inside NVLink', () => {
  const inter = reduceScatter(hw, { size: 64, stride: 1 }, 1e9);
  assert.match(inter.algorithm, /hierarchical nvlink x8 \+ \w+ x8/);
  assert.ok(inter.seconds > reduceScatter(hw, { size: 8, stride: 1 }, 1e9).seconds);
  // One GPU per node (stride 8): a flat ring over the fabric.
  assert.match(reduceScatter(hw, { size: 16, stride: 8 }, 1e9).algorithm, /^ring (leaf|spine|core) x16/);
});

test('all-reduce costs at most reduce-scatter + all-gather (tree chosen when cheaper)', () => {
  for (const size of [8, 64, 512]) {
    const g = { size, stride: 1 };
    assert.ok(allReduce(hw, g, 1e8).seconds <= 2 * reduceScatter(hw, g, 1e8).seconds + 1e-12);
  }
  // Small messages at scale are latency bound: the tree's 2 log2 N steps beat the ring's 2 (N-1).
  assert.match(allReduce(hw, { size: 1024, stride: 1 }, 1e3).algorithm, /tree/);
});

test('all-to-all sends (size-1)/size of the buffer and is bounded by the slower path', () => {
  const a = allToAll(hw, { size: 8, stride: 1 }, 8e8);
  assert.ok(Math.abs(a.seconds - ((7 / 8) * 8e8) / nv.busBytesPerSecondPerGpu - nv.stepLatencySeconds) < 1e-12);
  assert.ok(allToAll(hw, { size: 8, stride: 8 }, 8e8).seconds > a.seconds, 'across nodes is slower than NVLink');
});
