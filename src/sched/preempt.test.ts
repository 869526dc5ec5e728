// Checkpoint-aware preemption (src/sched/plugins/preempt.ts): victims are chosen to lose the
// least work, weighted by their size, and only among the jobs each plug-in may take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freeIndexOf } from './core.ts';
import type { CycleState } from './framework.ts';
import { chooseVictims, lostGpuSeconds, priorityPreempt, quotaReclaim } from './plugins/preempt.ts';
import { gridTopology, job, running, view } from './test-cluster.ts';
import type { ClusterView, RunningJob, TenantQuota } from './types.ts';

const NOW = 1000;

function cycleState(v: ClusterView, usage?: Record<string, number>): CycleState {
  const usageGpus = new Map<string, number>(usage ? Object.entries(usage) : []);
  if (!usage) for (const r of v.running) usageGpus.set(r.tenant, (usageGpus.get(r.tenant) ?? 0) + r.nodes * r.gpusPerNode);
  return { nowSeconds: NOW, view: v, free: freeIndexOf(v), startedThisCycle: [], preemptedThisCycle: new Set(), usageGpus, quotas: new Map(v.quotas.map((q) => [q.tenant, q])) };
}

/** A running job on `nodes`, started at 0, last checkpoint at `ckpt` (undefined: none yet). */
const run = (id: string, nodes: number[], ckpt: number | undefined, extra: Partial<RunningJob> = {}): RunningJob =>
  running(job(id, nodes.length, { priority: extra.priority ?? 0, ...(extra.tenant ? { tenant: extra.tenant } : {}), ...(extra.gpusPerNode ? { gpusPerNode: extra.gpusPerNode } : {}) }), nodes, extra.startSeconds ?? 0,
    { ...(ckpt !== undefined ? { lastCheckpointSeconds: ckpt } : {}), ...extra });

const ids = (vs: readonly RunningJob[] | null): string[] | null => vs?.map((v) => v.id) ?? null;

test('lostGpuSeconds: seconds since the last checkpoint times the GPUs held', () => {
  assert.equal(lostGpuSeconds(run('a', [0, 1], 900), NOW), 100 * 16);
  assert.equal(lostGpuSeconds(run('a', [0], 400, { gpusPerNode: 2 }), NOW), 600 * 2, 'a job on part of a node loses only its GPUs');
});

test('lostGpuSeconds: without a checkpoint, everything since the start is lost', () => {
  assert.equal(lostGpuSeconds(run('never', [0], undefined, { startSeconds: 700 }), NOW), 300 * 8);
});

test('victims: a big job that checkpointed recently can lose more than a small one that did not: the small one is taken', () => {
  // big: 2 nodes, 100 s since its checkpoint = 1,600 GPU-s; small: 1 node, 150 s = 1,200 GPU-s.
  const rs = [run('big', [0, 1], 900), run('small', [2], 850), run('busy', [3], 1000)];
  const st = cycleState(view(gridTopology(1, 1, 4), rs));
  assert.deepEqual(ids(chooseVictims(job('new', 1, { priority: 9 }), st, [rs[0]!, rs[1]!])), ['small']);
});

test('victims: for several missing nodes, one big fresh job beats small stale ones that lose more per node', () => {
  // Two nodes needed. big: 2 nodes, 100 s = 1,600 GPU-s (800 per node); s1, s2: 1 node, 150 s =
  // 1,200 GPU-s each (2,400 together). Least total loss is the big job alone.
  const rs = [run('big', [0, 1], 900), run('s1', [2], 850), run('s2', [3], 850)];
  const st = cycleState(view(gridTopology(1, 1, 4), rs));
  assert.deepEqual(ids(chooseVictims(job('new', 2, { priority: 9 }), st, [...rs])), ['big']);
});

test('victims: among jobs of one size, the one with the most recent checkpoint is taken', () => {
  const rs = [run('stale', [0, 1], 100), run('fresh', [2, 3], 990)];
  const st = cycleState(view(gridTopology(1, 1, 4), rs));
  assert.deepEqual(ids(chooseVictims(job('new', 2, { priority: 9 }), st, [...rs])), ['fresh']);
});

test('victims: jobs without GPUs (equal, zero GPU-seconds) are compared by the seconds they lose', () => {
  const rs = [run('a-stale', [0], 100, { gpusPerNode: 0 }), run('b-fresh', [1], 990, { gpusPerNode: 0 })];
  const st = cycleState(view(gridTopology(1, 1, 2), rs));
  assert.deepEqual(ids(chooseVictims(job('new', 1, { priority: 9, gpusPerNode: 0 }), st, [...rs])), ['b-fresh']);
});

test('victims: equal lost work goes to the lower priority, then the later start, then the smaller id', () => {
  const topo = gridTopology(1, 1, 4);
  const pick = (rs: RunningJob[]) => ids(chooseVictims(job('new', 2, { priority: 9 }), cycleState(view(topo, rs)), [...rs]));
  assert.deepEqual(pick([run('p5', [0, 1], 500, { priority: 5 }), run('p1', [2, 3], 500, { priority: 1 })]), ['p1']);
  assert.deepEqual(pick([run('p1', [0, 1], 500, { priority: 1 }), run('p5', [2, 3], 500, { priority: 5 })]), ['p1']);
  assert.deepEqual(pick([run('early', [0, 1], 500, { startSeconds: 10 }), run('late', [2, 3], 500, { startSeconds: 20 })]), ['late']);
  assert.deepEqual(pick([run('late', [0, 1], 500, { startSeconds: 20 }), run('early', [2, 3], 500, { startSeconds: 10 })]), ['late']);
  assert.deepEqual(pick([run('b', [0, 1], 500), run('a', [2, 3], 500)]), ['a']);
  assert.deepEqual(pick([run('a', [0, 1], 500), run('b', [2, 3], 500)]), ['a']);
});

test('victims: only as many as the job needs, counting nodes already free', () => {
  const topo = gridTopology(1, 1, 4);
  const rs = [run('a', [0], 990), run('b', [1], 980), run('c', [2], 970)]; // node 3 free
  const st = cycleState(view(topo, rs));
  assert.deepEqual(ids(chooseVictims(job('new', 2, { priority: 9 }), st, [...rs])), ['a'], 'one free node + a');
  assert.deepEqual(ids(chooseVictims(job('new', 1, { priority: 9 }), st, [...rs])), [], 'fits already: nobody');
  assert.deepEqual(ids(chooseVictims(job('new', 4, { priority: 9 }), st, [...rs])), ['a', 'b', 'c'], 'every candidate, least lost first');
});

test('victims: the need is what is missing after the free nodes: with one node free, a 2-node job needs one node more', () => {
  // Node 5 free. big: 4 nodes, 50 s = 1,600 GPU-s (400 per node if all 4 counted); small: 1 node,
  // 100 s = 800 GPU-s. One node is missing, so big counts for one node (1,600) and small wins.
  const rs = [run('big', [0, 1, 2, 3], 950), run('small', [4], 900)];
  const st = cycleState(view(gridTopology(1, 1, 6), rs));
  assert.deepEqual(ids(chooseVictims(job('new', 2, { priority: 9 }), st, [...rs])), ['small']);
});

test('victims: null when even every candidate is not enough', () => {
  const rs = [run('a', [0, 1], 500), run('keep', [2, 3], 500)];
  assert.equal(chooseVictims(job('new', 4, { priority: 9 }), cycleState(view(gridTopology(1, 1, 4), rs)), [rs[0]!]), null);
});

test('victims: null when enough nodes would be free but the job cannot be placed on them (GPU type)', () => {
  const rs = [run('a', [0, 1], 500)];
  assert.equal(chooseVictims(job('new', 2, { priority: 9, gpuType: 'b200' }), cycleState(view(gridTopology(1, 1, 2), rs)), [...rs]), null);
});

test('victims: a candidate whose nodes the placement does not use is not stopped', () => {
  // Two leaves of 2 nodes. c1 (node 0) loses least, then c2 (nodes 2, 3); with both, nodes 0, 2
  // and 3 would be free, and the placement keeps to one leaf (2, 3): c1 keeps running.
  const topo = gridTopology(1, 2, 2);
  const rs = [run('c1', [0], 999), run('c2', [2, 3], 990), run('keep', [1], 0)];
  const st = cycleState(view(topo, rs));
  assert.deepEqual(ids(chooseVictims(job('new', 2, { priority: 9 }), st, [rs[0]!, rs[1]!])), ['c2']);
  assert.equal(st.free.totalFree, 0, 'the hypothetical release is rolled back');
});

test('priority preemption: only lower-priority, preemptible jobs that ran before this cycle are candidates', () => {
  const topo = gridTopology(1, 1, 2);
  const st = (rs: RunningJob[]) => cycleState(view(topo, rs));
  const hi = job('hi', 2, { priority: 5 });
  assert.deepEqual(ids(priorityPreempt.victims(hi, st([run('low', [0, 1], 500, { priority: 1 })]))), ['low']);
  assert.equal(priorityPreempt.victims(hi, st([run('same', [0, 1], 500, { priority: 5 })])), null, 'equal priority: not a candidate');
  assert.equal(priorityPreempt.victims(hi, st([run('pinned', [0, 1], 500, { priority: 1, preemptible: false })])), null, 'not preemptible');
  const fresh = st([]);
  fresh.startedThisCycle.push(run('new', [0, 1], undefined, { priority: 1, startSeconds: NOW }));
  assert.equal(priorityPreempt.victims(hi, fresh), null, 'started in this same cycle: never preempted');
  assert.equal(priorityPreempt.name, 'preempt/priority');
});

const QUOTAS: TenantQuota[] = [
  { tenant: 'a', guaranteedGpus: 16, borrowLimitGpus: 64, weight: 1 },
  { tenant: 'b', guaranteedGpus: 16, borrowLimitGpus: 0, weight: 1 },
];

test('reclaim: a tenant within its guarantee takes back GPUs that another tenant borrowed', () => {
  const topo = gridTopology(1, 1, 4);
  // a holds 32 GPUs against a 16-GPU guarantee: 16 borrowed, so either 1-node job may go.
  const rs = [run('a1', [0, 1], 990, { tenant: 'a' }), run('a2', [2], 900, { tenant: 'a' }), run('a3', [3], 995, { tenant: 'a' })];
  const st = cycleState(view(topo, rs, { quotas: QUOTAS }));
  assert.deepEqual(ids(quotaReclaim.victims(job('b1', 1, { tenant: 'b' }), st)), ['a3'], 'the borrowed job that loses least');
  assert.equal(quotaReclaim.name, 'preempt/reclaim');
});

test('reclaim: never when there are no quotas, when the job is beyond its guarantee, or when nobody borrows', () => {
  const topo = gridTopology(1, 1, 4);
  const rs = [run('a1', [0, 1], 990, { tenant: 'a' }), run('a2', [2, 3], 990, { tenant: 'a' })]; // a borrows 16
  assert.equal(quotaReclaim.victims(job('b1', 1, { tenant: 'b' }), cycleState(view(topo, rs))), null, 'no quotas');
  assert.equal(quotaReclaim.victims(job('b3', 3, { tenant: 'b' }), cycleState(view(topo, rs, { quotas: QUOTAS }))), null, '24 GPUs > b\'s 16 guaranteed');
  assert.notEqual(quotaReclaim.victims(job('b2', 2, { tenant: 'b' }), cycleState(view(topo, rs, { quotas: QUOTAS }))), null, 'exactly b\'s 16 guaranteed: may reclaim');
  const b = [run('b1', [0, 1], 990, { tenant: 'b' }), run('a1', [2, 3], 990, { tenant: 'a' })];
  assert.equal(quotaReclaim.victims(job('b2', 1, { tenant: 'b' }), cycleState(view(topo, b, { quotas: QUOTAS }), { a: 16, b: 8 })), null, 'a within its guarantee: nobody borrows');
});

test('reclaim: never its own tenant\'s jobs, never a job that is not preemptible, never more than the tenant borrowed', () => {
  const topo = gridTopology(1, 1, 4);
  const own = [run('b1', [0, 1, 2, 3], 990, { tenant: 'b' })];
  assert.equal(quotaReclaim.victims(job('b2', 1, { tenant: 'b' }), cycleState(view(topo, own, { quotas: QUOTAS }), { b: 0, c: 8 })), null, 'b\'s own job');
  const pinned = [run('a1', [0, 1, 2, 3], 990, { tenant: 'a', preemptible: false })];
  assert.equal(quotaReclaim.victims(job('b1', 1, { tenant: 'b' }), cycleState(view(topo, pinned, { quotas: QUOTAS }))), null, 'not preemptible');
  // a holds 24 GPUs (8 borrowed): a 2-node job of a (16 GPUs) cuts into its guarantee, a 1-node one does not.
  const mixed = [run('a-big', [0, 1], 999, { tenant: 'a' }), run('a-small', [2], 100, { tenant: 'a' })];
  assert.deepEqual(ids(quotaReclaim.victims(job('b1', 2, { tenant: 'b' }), cycleState(view(topo, mixed, { quotas: QUOTAS })))), ['a-small']);
  assert.equal(quotaReclaim.victims(job('b1', 2, { tenant: 'b' }), cycleState(view(gridTopology(1, 1, 3), mixed, { quotas: QUOTAS }))), null, 'a-small alone frees too little');
});

test('reclaim: when nobody borrows, not even a job without GPUs (it borrows nothing) is taken', () => {
  const topo = gridTopology(1, 1, 2);
  const rs = [run('a-cpu', [0, 1], 990, { tenant: 'a', gpusPerNode: 0 })];
  assert.equal(quotaReclaim.victims(job('b1', 2, { tenant: 'b' }), cycleState(view(topo, rs, { quotas: QUOTAS }))), null);
});

test('victims: a victim whose nodes the placement uses only in part is still stopped', () => {
  const rs = [run('wide', [0, 1], 990)];
  assert.deepEqual(ids(chooseVictims(job('new', 1, { priority: 9 }), cycleState(view(gridTopology(1, 1, 2), rs)), [...rs])), ['wide']);
});

test('priority preemption: no candidates is no preemption (null), even when the job would fit', () => {
  assert.equal(priorityPreempt.victims(job('hi', 1, { priority: 5 }), cycleState(view(gridTopology(1, 1, 2), []))), null);
});

test('reclaim: never a job started in this same cycle', () => {
  const st = cycleState(view(gridTopology(1, 1, 2), [], { quotas: QUOTAS }), { a: 32 });
  st.startedThisCycle.push(run('a-new', [0, 1], undefined, { tenant: 'a', startSeconds: NOW }));
  assert.equal(quotaReclaim.victims(job('b1', 1, { tenant: 'b' }), st), null);
});

test('reclaim: never a job of the reclaiming tenant, even one without GPUs that borrows nothing', () => {
  // c (no quota entry: guarantee 0) borrows, so reclaim is possible; b's own CPU job is not a candidate.
  const rs = [run('b-cpu', [0, 1], 990, { tenant: 'b', gpusPerNode: 0 }), run('c1', [2], 990, { tenant: 'c', preemptible: false })];
  assert.equal(quotaReclaim.victims(job('b1', 2, { tenant: 'b' }), cycleState(view(gridTopology(1, 1, 3), rs, { quotas: QUOTAS }))), null);
});

test('reclaim: without quotas, never, even for a job without GPUs (with no guarantees every running tenant would count as borrowing)', () => {
  const rs = [run('a1', [0, 1], 990, { tenant: 'a' })];
  assert.equal(quotaReclaim.victims(job('b-cpu', 1, { tenant: 'b', gpusPerNode: 0 }), cycleState(view(gridTopology(1, 1, 2), rs))), null);
});

test('victims on shared nodes: a partly used node with room counts toward the job, so one victim is enough', () => {
  // Node 0: a pinned job holds 4 of its 8 GPUs (4 free). Node 1: the victim holds all 8.
  // A 2-node x 4-GPU job fits on node 0's free half and node 1 once the victim stops.
  const pinned = run('pinned', [0], 500, { gpusPerNode: 4, preemptible: false, gpuIndices: [[0, 1, 2, 3]] });
  const victim = run('v', [1], 500);
  const st = cycleState({ ...view(gridTopology(1, 1, 2), [pinned, victim]), shareNodes: true });
  assert.deepEqual(ids(chooseVictims(job('new', 2, { priority: 9, gpusPerNode: 4 }), st, [victim])), ['v']);
});
