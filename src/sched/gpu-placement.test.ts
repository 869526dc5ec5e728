import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterNode, ClusterTopology } from '../fleet/types.ts';
import { createScheduler } from './index.ts';
import { FreeIndex } from './free-index.ts';
import { placeGang, placeJob } from './placement.ts';
import { gridTopology, job, running, view } from './test-cluster.ts';
import type { ClusterView, Decision, SchedJob } from './types.ts';

type Start = Extract<Decision, { kind: 'start' }>;
const startsOf = (ds: Decision[]): Start[] => ds.filter((d): d is Start => d.kind === 'start');
const shared = (v: ClusterView): ClusterView => ({ ...v, shareNodes: true });
const gpuJob = (id: string, nodes: number, gpusPerNode: number, extra: Partial<SchedJob> = {}): SchedJob => job(id, nodes, { gpusPerNode, submitSeconds: 0, ...extra });

/** Nodes of several kinds, one leaf per group, one spine. */
function mixedTopology(groups: { n: number; gpuType: ClusterNode['gpuType']; gpus: number; pool: string; rented?: boolean; price?: number }[]): ClusterTopology {
  const nodes: ClusterNode[] = [];
  groups.forEach((g, leaf) => {
    for (let i = 0; i < g.n; i++) {
      nodes.push({ index: nodes.length, name: `${g.pool}-${i}`, gpuType: g.gpuType, gpus: g.gpus, leaf, spine: 0, pool: g.pool, rented: g.rented ?? false,
        ...(g.price !== undefined ? { pricePerGpuHourUsd: g.price } : {}) });
    }
  });
  return { nodes, leafCount: groups.length, spineCount: 1 };
}

test('gres: eight 1-GPU jobs share one 8-GPU node, each on its own GPU; a ninth waits', () => {
  const topo = gridTopology(1, 1, 1);
  const q = Array.from({ length: 9 }, (_, i) => gpuJob(`j${i}`, 1, 1, { submitSeconds: i }));
  const ds = startsOf(createScheduler('fifo').schedule(shared(view(topo)), q, 0));
  assert.equal(ds.length, 8);
  assert.deepEqual(ds.map((d) => d.gpuIndices), Array.from({ length: 8 }, (_, g) => [[g]]));
  assert.ok(ds.every((d) => d.nodeIndices.length === 1 && d.nodeIndices[0] === 0), 'every job on node 0');
});

test('gres: without node sharing a 1-GPU job still takes a whole node (the driver keeps one job per node)', () => {
  const ds = startsOf(createScheduler('fifo').schedule(view(gridTopology(1, 1, 2)), [gpuJob('a', 1, 1), gpuJob('b', 1, 1, { submitSeconds: 1 }), gpuJob('c', 1, 1, { submitSeconds: 2 })], 0));
  assert.deepEqual(ds.map((d) => d.nodeIndices), [[0], [1]]);
  assert.deepEqual(ds[0]!.gpuIndices, [[0, 1, 2, 3, 4, 5, 6, 7]], 'a whole node holds all its GPUs');
});

test('gres: a whole-node job never lands on a partly used node', () => {
  const topo = gridTopology(1, 1, 2);
  const r = running(gpuJob('small', 1, 1), [0], 0, { gpuIndices: [[3]] });
  const ds = startsOf(createScheduler('fifo').schedule(shared(view(topo, [r])), [gpuJob('whole', 1, 8)], 0));
  assert.deepEqual(ds.map((d) => d.nodeIndices), [[1]]);
  // Two whole-node jobs: only one node is wholly free.
  const two = startsOf(createScheduler('fair-share').schedule(shared(view(topo, [r])), [gpuJob('w1', 1, 8), gpuJob('w2', 1, 8, { submitSeconds: 1 })], 0));
  assert.equal(two.length, 1);
});

test('gres: best fit: a small job goes to the partly used node with the fewest free GPUs that still fit', () => {
  const topo = gridTopology(1, 1, 3);
  // node 0: 6 free; node 1: 2 free; node 2: wholly free.
  const run = [running(gpuJob('r0', 1, 2), [0], 0, { gpuIndices: [[0, 1]] }), running(gpuJob('r1', 1, 6), [1], 0, { gpuIndices: [[0, 1, 2, 3, 4, 5]] })];
  const cases: { name: string; gpus: number; node: number; gpuIndices: number[] }[] = [
    { name: '2 GPUs: the node with exactly 2 free', gpus: 2, node: 1, gpuIndices: [6, 7] },
    { name: '3 GPUs: node 1 is too small, node 0 before the whole node', gpus: 3, node: 0, gpuIndices: [2, 3, 4] },
    { name: '7 GPUs: only the wholly free node', gpus: 7, node: 2, gpuIndices: [0, 1, 2, 3, 4, 5, 6] },
  ];
  for (const c of cases) {
    const ds = startsOf(createScheduler('fifo').schedule(shared(view(topo, run)), [gpuJob('j', 1, c.gpus)], 0));
    assert.deepEqual(ds.map((d) => [d.nodeIndices, d.gpuIndices]), [[[c.node], [c.gpuIndices]]], c.name);
  }
});

test('gres: a multi-node job takes its GPUs per node on distinct nodes', () => {
  const topo = gridTopology(1, 1, 3);
  const run = [running(gpuJob('r0', 1, 4), [0], 0, { gpuIndices: [[0, 1, 2, 3]] })];
  const [d] = startsOf(createScheduler('fifo').schedule(shared(view(topo, run)), [gpuJob('j', 2, 4)], 0));
  assert.deepEqual(d!.nodeIndices, [0, 1], 'the partly used node first, then a whole one');
  assert.deepEqual(d!.gpuIndices, [[4, 5, 6, 7], [0, 1, 2, 3]]);
  // 3 nodes x 5 GPUs: node 0 has only 4 free.
  assert.equal(startsOf(createScheduler('fifo').schedule(shared(view(topo, run)), [gpuJob('k', 3, 5)], 0)).length, 0);
});

test('gres: GPU type is honoured on a mixed fleet; no node of the type: the job waits', () => {
  const topo = mixedTopology([{ n: 2, gpuType: 'h100', gpus: 8, pool: 'h' }, { n: 2, gpuType: 'b200', gpus: 8, pool: 'b' }]);
  const cases: { name: string; j: SchedJob; nodes: number[] | undefined }[] = [
    { name: 'b200 asked: b200 nodes', j: gpuJob('j', 2, 8, { gpuType: 'b200' }), nodes: [2, 3] },
    { name: 'h100 asked', j: gpuJob('j', 1, 8, { gpuType: 'h100' }), nodes: [0] },
    { name: 'any type: spills across types when one is short', j: gpuJob('j', 3, 8), nodes: [0, 1, 2] },
    { name: 'a100 asked: none here', j: gpuJob('j', 1, 8, { gpuType: 'a100' }), nodes: undefined },
    { name: 'more b200 than there are', j: gpuJob('j', 3, 8, { gpuType: 'b200' }), nodes: undefined },
  ];
  for (const c of cases) {
    const ds = startsOf(createScheduler('fifo').schedule(shared(view(topo)), [c.j], 0));
    assert.deepEqual(ds[0]?.nodeIndices, c.nodes, c.name);
  }
});

test('gres: a node with fewer GPUs than asked is never used', () => {
  const topo = mixedTopology([{ n: 2, gpuType: 'h100', gpus: 4, pool: 'small' }, { n: 1, gpuType: 'h100', gpus: 8, pool: 'big' }]);
  const ds = startsOf(createScheduler('fifo').schedule(shared(view(topo)), [gpuJob('j', 1, 8)], 0));
  assert.deepEqual(ds[0]?.nodeIndices, [2]);
  assert.equal(startsOf(createScheduler('fifo').schedule(shared(view(topo)), [gpuJob('j', 2, 8)], 0)).length, 0);
});

test('pools: owned nodes fill before rented ones, and the cheaper pool before the dearer', () => {
  // Fleet order puts the dear pool first to show the order comes from kind and price.
  const topo = mixedTopology([
    { n: 2, gpuType: 'h100', gpus: 8, pool: 'dear', rented: true, price: 4 },
    { n: 2, gpuType: 'h100', gpus: 8, pool: 'cheap', rented: true, price: 2 },
    { n: 2, gpuType: 'h100', gpus: 8, pool: 'hall' },
  ]);
  const cases: { name: string; nodes: number; want: string[] }[] = [
    { name: 'owned first', nodes: 2, want: ['hall', 'hall'] },
    { name: 'then the cheap pool', nodes: 4, want: ['cheap', 'cheap', 'hall', 'hall'] },
    { name: 'the dear pool last', nodes: 5, want: ['cheap', 'cheap', 'dear', 'hall', 'hall'] },
  ];
  for (const c of cases) {
    const [d] = startsOf(createScheduler('fifo').schedule(shared(view(topo)), [gpuJob('j', c.nodes, 8)], 0));
    assert.deepEqual(d!.nodeIndices.map((n) => topo.nodes[n]!.pool).sort(), c.want, c.name);
  }
  // Small jobs too: a 1-GPU job goes to the owned hall while it has room.
  const [small] = startsOf(createScheduler('fifo').schedule(shared(view(topo)), [gpuJob('s', 1, 1)], 0));
  assert.equal(topo.nodes[small!.nodeIndices[0]!]!.pool, 'hall');
  const index = FreeIndex.empty(topo);
  assert.deepEqual(index.classes.map((c) => [c.rented, c.pricePerGpuHourUsd]), [[false, 0], [true, 2], [true, 4]]);
});

test('preemption frees only the GPUs a shared job held', () => {
  const topo = gridTopology(1, 1, 1);
  // Two 4-GPU jobs share the node; a high-priority 4-GPU job preempts exactly one of them.
  const run = [
    running(gpuJob('a', 1, 4), [0], 0, { gpuIndices: [[0, 1, 2, 3]], lastCheckpointSeconds: 10 }),
    running(gpuJob('b', 1, 4), [0], 0, { gpuIndices: [[4, 5, 6, 7]], lastCheckpointSeconds: 90 }),
  ];
  const ds = createScheduler('priority-preempt').schedule(shared(view(topo, run)), [gpuJob('hi', 1, 4, { priority: 5 })], 100);
  assert.deepEqual(ds.filter((d) => d.kind === 'preempt').map((d) => d.jobId), ['b'], 'the one that loses the least work');
  assert.deepEqual(startsOf(ds)[0]!.gpuIndices, [[4, 5, 6, 7]]);
});

test('free index: GPU takes and releases keep whole-node and partial counts; rollback restores them', () => {
  const topo = gridTopology(1, 2, 2);
  const f = FreeIndex.empty(topo);
  for (let i = 0; i < 4; i++) f.release(i);
  const snap = (): string => JSON.stringify([Array.from(f.gpuFree), Array.from(f.leafFree), f.totalFree, f.classPartialTotal(0, 5), Array.from(f.classLeafPartial(0, 5))]);
  const before = snap();
  const m = f.mark();
  f.takeGpus(0, [0, 1, 2]);
  assert.equal(f.isFree(0), false);
  assert.equal(f.freeGpus(0), 5);
  assert.deepEqual([f.totalFree, f.leafFree[0], f.classPartialTotal(0, 5), f.classLeafPartial(0, 5)[0]], [3, 1, 1, 1]);
  f.takeJob({ nodeIndices: [1], gpuIndices: [[7]] });
  f.releaseGpus(0, [1]);
  assert.deepEqual([f.freeGpus(0), f.freeGpus(1), f.classPartialTotal(0, 5), f.classPartialTotal(0, 6), f.classPartialTotal(0, 7)], [6, 7, 0, 1, 1]);
  f.releaseJob({ nodeIndices: [0], gpuIndices: [[0, 2]] });
  assert.equal(f.isFree(0), true, 'all GPUs back: wholly free again');
  f.take(2);
  f.releaseJob({ nodeIndices: [2, 3], gpuIndices: [[0], [0]] }, (n) => n !== 2);
  assert.equal(f.freeGpus(2), 0, 'a node out of service gets nothing back');
  f.rollback(m);
  assert.equal(snap(), before);
  assert.equal(f.freeGpus(3), 8);
  const c = f.clone();
  c.takeGpus(3, [0]);
  assert.equal(f.freeGpus(3), 8, 'a clone is independent');
  assert.equal(c.classPartialTotal(0, 7), 1);
  assert.equal(placeJob(c, { nodes: 1, gpusPerNode: 7, shareNodes: true })!.nodeIndices[0], 3, 'the clone places on its own state');
});

test('scheduler: the driver index is unchanged after a cycle that placed shared jobs', () => {
  const topo = gridTopology(1, 1, 2);
  const f = FreeIndex.empty(topo);
  f.releaseAll([0, 1]);
  f.takeGpus(0, [0]);
  const before = JSON.stringify([Array.from(f.gpuFree), f.totalFree, f.classPartialTotal(0, 7)]);
  const ds = createScheduler('default').schedule({ ...shared(view(topo)), freeIndex: f }, [gpuJob('a', 1, 2), gpuJob('b', 1, 8)], 0);
  assert.equal(startsOf(ds).length, 2);
  assert.equal(JSON.stringify([Array.from(f.gpuFree), f.totalFree, f.classPartialTotal(0, 7)]), before);
});

test('placement: nothing asked, nothing placed; a CPU job (0 GPUs) never shares a node even when nodes are shared', () => {
  const topo = gridTopology(1, 1, 2);
  const f = FreeIndex.empty(topo);
  f.releaseAll([0, 1]);
  assert.equal(placeJob(f, { nodes: 0, gpusPerNode: 1, shareNodes: true }), null);
  f.takeGpus(0, [0]);
  assert.deepEqual(placeJob(f, { nodes: 1, gpusPerNode: 0, shareNodes: true }), { nodeIndices: [1], gpuIndices: [[0, 1, 2, 3, 4, 5, 6, 7]] });
  assert.equal(placeJob(f, { nodes: 2, gpusPerNode: 0, shareNodes: true }), null);
  assert.deepEqual(placeJob(f, { nodes: 1, gpusPerNode: 8, shareNodes: true })?.nodeIndices, [1], 'all of a node\'s GPUs: a whole node');
  assert.deepEqual(placeJob(f, { nodes: 2, gpusPerNode: 7, shareNodes: true })?.gpuIndices, [[1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5, 6]]);
});

test('placement: best fit looks at every leaf and only at nodes of the class asked for', () => {
  // One leaf mixes b200 and h100 nodes; the h100 with 2 free GPUs sits in the second leaf.
  const nodes: ClusterNode[] = [
    { index: 0, name: 'b0', gpuType: 'b200', gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false },
    { index: 1, name: 'h1', gpuType: 'h100', gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false },
    { index: 2, name: 'h2', gpuType: 'h100', gpus: 8, leaf: 1, spine: 0, pool: 'hall', rented: false },
  ];
  const f = FreeIndex.empty({ nodes, leafCount: 2, spineCount: 1 });
  f.releaseAll([0, 1, 2]);
  f.takeGpus(0, [0, 1, 2, 3, 4, 5]); // b200: 2 free
  f.takeGpus(1, [0, 1, 2, 3]); // h100: 4 free
  f.takeGpus(2, [0, 1, 2, 3, 4, 5]); // h100: 2 free, second leaf
  assert.deepEqual(placeJob(f, { nodes: 1, gpusPerNode: 2, gpuType: 'h100', shareNodes: true }), { nodeIndices: [2], gpuIndices: [[6, 7]] });
  assert.deepEqual(placeJob(f, { nodes: 1, gpusPerNode: 3, gpuType: 'h100', shareNodes: true })?.nodeIndices, [1]);
  assert.deepEqual(placeJob(f, { nodes: 1, gpusPerNode: 2, gpuType: 'b200', shareNodes: true })?.nodeIndices, [0]);
  assert.equal(placeJob(f, { nodes: 1, gpusPerNode: 3, gpuType: 'b200', shareNodes: true }), null);
  // Two nodes of 2 GPUs: the two tightest h100s, not the b200.
  assert.deepEqual(placeJob(f, { nodes: 2, gpusPerNode: 2, gpuType: 'h100', shareNodes: true })?.nodeIndices.sort(), [1, 2]);
});

test('placement: shared multi-node jobs count partly used nodes per leaf and spine', () => {
  // 2 spines x 2 leaves x 2 nodes. Leaf 0: both nodes half used; others wholly free.
  const topo = gridTopology(2, 2, 2);
  const f = FreeIndex.empty(topo);
  f.releaseAll(Array.from({ length: 8 }, (_, i) => i));
  f.takeGpus(0, [0, 1, 2, 3]);
  f.takeGpus(1, [0, 1, 2, 3]);
  // 2 x 4 GPUs fits leaf 0 (two partly used nodes) and keeps the whole leaves free.
  assert.deepEqual(placeJob(f, { nodes: 2, gpusPerNode: 4, shareNodes: true })?.nodeIndices, [0, 1]);
  // 3 x 4 GPUs: leaf 0 (2) + leaf 1 (2) in spine 0: the two partly used ones first.
  const p = placeJob(f, { nodes: 3, gpusPerNode: 4, shareNodes: true })!;
  assert.deepEqual(p.nodeIndices.slice(0, 2), [0, 1]);
  assert.equal(topo.nodes[p.nodeIndices[2]!]!.spine, 0);
  // 5 x 5 GPUs: the half-used nodes do not fit; 6 whole nodes remain.
  assert.deepEqual(placeJob(f, { nodes: 5, gpusPerNode: 5, shareNodes: true })?.nodeIndices.every((n) => n >= 2), true);
  assert.equal(placeJob(f, { nodes: 7, gpusPerNode: 5, shareNodes: true }), null);
});

test('topology: among spines needing as many leaves, the tightest; beyond one spine, the emptiest spine first', () => {
  // 3 spines x 2 leaves x 4 nodes. Spine 0: 4 + 3 free; spine 1: 4 + 4; spine 2: 4 + 2.
  const topo = gridTopology(3, 2, 4);
  const f = FreeIndex.empty(topo);
  f.releaseAll(Array.from({ length: 24 }, (_, i) => i));
  f.take(4); f.take(20); f.take(21);
  const spinesOf = (ns: readonly number[]) => [...new Set(ns.map((n) => topo.nodes[n]!.spine))];
  // 6 nodes: each spine needs 2 leaves; spine 2 (6 free) is the tightest that fits.
  assert.deepEqual(spinesOf(placeJob(f, { nodes: 6, gpusPerNode: 8 })!.nodeIndices), [2]);
  // 7 nodes: spines 0 (7) and 1 (8) fit with 2 leaves: spine 0 is tighter.
  assert.deepEqual(spinesOf(placeJob(f, { nodes: 7, gpusPerNode: 8 })!.nodeIndices), [0]);
  // 10 nodes: no spine holds them; the emptiest spine (1) first, then the next emptiest (0).
  assert.deepEqual(spinesOf(placeJob(f, { nodes: 10, gpusPerNode: 8 })!.nodeIndices), [1, 0]);
  // Leaves largest-free first inside a spine: 5 nodes in spine 0 take all of leaf 0 (4 free) first.
  f.take(0);
  const five = placeJob(f, { nodes: 7, gpusPerNode: 8 })!.nodeIndices;
  assert.deepEqual(spinesOf(five), [1]);
});

/** An index over `topo` with every node free except the given takes. */
function indexWith(topo: ClusterTopology, take: number[] = [], gpus: [number, number[]][] = []): FreeIndex {
  const f = FreeIndex.empty(topo);
  f.releaseAll(topo.nodes.map((n) => n.index));
  f.takeAll(take);
  for (const [n, g] of gpus) f.takeGpus(n, g);
  return f;
}

test('topology: a spine needing fewer leaves beats a tighter one; equal leaves: the tighter; equal both: the first', () => {
  // Spine 0: leaves of 4, 1, 1 free (6; 5 nodes need 2 leaves); spine 1: 3 + 3 (6; need 2): spine 0 (first).
  const t = gridTopology(2, 3, 4);
  const f = indexWith(t, [4, 5, 6, 8, 9, 10, 15, 19, 20, 21, 22, 23]);
  assert.deepEqual(placeJob(f, { nodes: 5, gpusPerNode: 8 })!.nodeIndices, [0, 1, 2, 3, 7], 'all of the 4-leaf, then the next largest');
  // Spine 0: 4 + 4 (8, need 2 for 7); spine 1: 3 + 2 + 2 (7, tighter, need 3): spine 0.
  const g = indexWith(t, [8, 9, 10, 11, 15, 18, 19, 22, 23]);
  assert.deepEqual(new Set(placeJob(g, { nodes: 7, gpusPerNode: 8 })!.nodeIndices.map((n) => t.nodes[n]!.spine)), new Set([0]));
});

test('topology: across spines, emptiest spine first and, at equal room, by index; every leaf of a spine filled largest first', () => {
  // 3 spines x 1 leaf x 2 nodes, all free: a 5-node job fills spines 0 and 1 and takes 1 node of spine 2.
  const t = gridTopology(3, 1, 2);
  assert.deepEqual(placeJob(indexWith(t), { nodes: 5, gpusPerNode: 8 })!.nodeIndices, [0, 1, 2, 3, 4]);
  // Spine 1 emptier than spine 0: it goes first.
  assert.deepEqual(placeJob(indexWith(t, [0]), { nodes: 3, gpusPerNode: 8 })!.nodeIndices, [2, 3, 4]);
});

test('best fit: the tightest leaf that fits, not the first', () => {
  const t = gridTopology(1, 3, 4);
  // Leaf 0: 4 free; leaf 1: 2 free; leaf 2: 3 free. A 2-node job: leaf 1.
  assert.deepEqual(placeJob(indexWith(t, [4, 5, 8]), { nodes: 2, gpusPerNode: 8 })!.nodeIndices, [6, 7]);
});

test('placeGang: whole nodes of any type, none for nothing asked', () => {
  const t = gridTopology(1, 1, 3);
  assert.deepEqual(placeGang(indexWith(t, [0]), 2), [1, 2]);
  assert.equal(placeGang(indexWith(t, [0]), 3), null);
  assert.equal(placeGang(indexWith(t), 0), null);
});

test('shared nodes within a leaf: partly used first, tightest first, then whole nodes by index', () => {
  const t = gridTopology(1, 1, 4);
  // Node 0 whole, node 1: 6 free, node 2: 5 free, node 3 whole.
  const f = indexWith(t, [], [[1, [0, 1]], [2, [0, 1, 2]]]);
  assert.deepEqual(placeJob(f, { nodes: 2, gpusPerNode: 5, shareNodes: true })!.nodeIndices, [2, 1]);
  assert.deepEqual(placeJob(f, { nodes: 3, gpusPerNode: 6, shareNodes: true })!.nodeIndices, [1, 0, 3]);
});

test('classes: a full owned class is skipped without leaving a hole; non-shared jobs ignore partly used nodes', () => {
  const topo = mixedTopology([{ n: 2, gpuType: 'h100', gpus: 8, pool: 'hall' }, { n: 2, gpuType: 'h100', gpus: 8, pool: 'cheap', rented: true, price: 2 }]);
  const full = indexWith(topo, [0, 1]);
  assert.deepEqual(placeJob(full, { nodes: 2, gpusPerNode: 8 })!.nodeIndices, [2, 3]);
  // Owned node 0 partly used, node 1 taken: a whole-node job (no sharing) must go to the rented pool.
  const partial = indexWith(topo, [1], [[0, [0]]]);
  assert.deepEqual(placeJob(partial, { nodes: 1, gpusPerNode: 1 })!.nodeIndices, [2]);
  assert.deepEqual(placeJob(partial, { nodes: 1, gpusPerNode: 1, shareNodes: true })!.nodeIndices, [0], 'sharing: the owned node');
});

test('a leaf mixing GPU types: best fit and whole nodes only of the type asked for', () => {
  const nodes: ClusterNode[] = [
    { index: 0, name: 'b0', gpuType: 'b200', gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false },
    { index: 1, name: 'h1', gpuType: 'h100', gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false },
  ];
  const t: ClusterTopology = { nodes, leafCount: 1, spineCount: 1 };
  assert.deepEqual(placeJob(indexWith(t, [], [[0, [0, 1]], [1, [0, 1]]]), { nodes: 1, gpusPerNode: 2, gpuType: 'h100', shareNodes: true })!.nodeIndices, [1]);
  assert.deepEqual(placeJob(indexWith(t), { nodes: 1, gpusPerNode: 8, gpuType: 'h100' })!.nodeIndices, [1]);
});
