import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, SCHEDULER_POLICIES } from './index.ts';
import { domainSpread } from './placement.ts';
import { gridTopology, job, range, running, view } from './test-cluster.ts';
import type { ClusterView, Decision, SchedJob } from './types.ts';
import { UnknownNameError } from '../lib/errors.ts';

const starts = (ds: Decision[]): Record<string, readonly number[]> =>
  Object.fromEntries(ds.filter((d) => d.kind === 'start').map((d) => [d.jobId, d.kind === 'start' ? d.nodeIndices : []]));
const preempted = (ds: Decision[]): string[] => ds.filter((d) => d.kind === 'preempt').map((d) => d.jobId).sort();

// 2 spines x 2 leaves x 4 nodes = 16 nodes.
const topo = gridTopology(2, 2, 4);

test('policies: the registry lists the five names; an unknown one lists them', () => {
  for (const p of ['fifo', 'priority-preempt', 'fair-share', 'backfill', 'default']) assert.ok(SCHEDULER_POLICIES.includes(p), p);
  assert.throws(() => createScheduler('lottery'), (e: unknown) => e instanceof UnknownNameError && /fifo.*default/.test(e.message));
});

test('gang: all ranks or none, in every policy', () => {
  const cases: { name: string; v: ClusterView; q: SchedJob[]; want: string[] }[] = [
    { name: 'fits exactly', v: view(topo, [], { down: range(0, 4) }), q: [job('j', 12)], want: ['j'] },
    { name: 'one node short', v: view(topo, [], { down: range(0, 5) }), q: [job('j', 12)], want: [] },
    { name: 'bigger than fleet', v: view(topo), q: [job('j', 17)], want: [] },
    { name: 'spares are not for ordinary placement', v: view(topo, [], { spares: [0, 1] }), q: [job('j', 15)], want: [] },
  ];
  for (const policy of SCHEDULER_POLICIES) {
    for (const c of cases) {
      const ds = createScheduler(policy).schedule(c.v, c.q, 0);
      assert.deepEqual(Object.keys(starts(ds)), c.want, `${policy}: ${c.name}`);
      for (const [id, nodes] of Object.entries(starts(ds))) {
        const j = c.q.find((x) => x.id === id)!;
        assert.equal(new Set(nodes).size, j.nodes, `${policy}: ${c.name}: exactly nodes distinct indices`);
      }
    }
  }
});

test('topology: a job lands in as few leaf and spine domains as fit', () => {
  const cases: { name: string; down: number[]; nodes: number; leaves: number; spines: number }[] = [
    { name: 'one leaf', down: [], nodes: 4, leaves: 1, spines: 1 },
    { name: 'best-fit leaf keeps whole leaves', down: [0, 1, 2], nodes: 1, leaves: 1, spines: 1 },
    { name: 'one spine, two leaves', down: [], nodes: 8, leaves: 2, spines: 1 },
    { name: 'fragmented spine 0 -> spine 1', down: [0, 4], nodes: 7, leaves: 2, spines: 1 },
    { name: 'two spines', down: [], nodes: 12, leaves: 3, spines: 2 },
  ];
  for (const c of cases) {
    const ds = createScheduler('fifo').schedule(view(topo, [], { down: c.down }), [job('j', c.nodes)], 0);
    const nodes = starts(ds).j!;
    assert.deepEqual(domainSpread(topo, nodes), { leaves: c.leaves, spines: c.spines }, c.name);
    if (c.name.startsWith('best-fit')) assert.equal(nodes[0], 3, 'the single free node of leaf 0');
  }
});

test('topology: across spines, the one needing the fewest leaves wins over the tightest', () => {
  // 2 spines x 3 leaves x 4 nodes. Spine 0: 6 free as 2 + 2 + 2 (tighter); spine 1: 8 free as
  // 4 + 4 + 0. A 6-node job needs 3 leaves in spine 0 but only 2 in spine 1.
  const t = gridTopology(2, 3, 4);
  const ds = createScheduler('fifo').schedule(view(t, [], { down: [0, 1, 4, 5, 8, 9, 20, 21, 22, 23] }), [job('j', 6)], 0);
  assert.deepEqual(domainSpread(t, starts(ds).j!), { leaves: 2, spines: 1 });
});

test('fifo: the blocked head blocks the jobs behind it; fair-share skips it', () => {
  const v = view(topo, [running(job('r', 10), range(0, 10))]);
  const q = [job('big', 8, { submitSeconds: 1 }), job('small', 2, { submitSeconds: 2 })];
  assert.deepEqual(Object.keys(starts(createScheduler('fifo').schedule(v, q, 5))), []);
  assert.deepEqual(Object.keys(starts(createScheduler('fair-share').schedule(v, q, 5))), ['small']);
});

test('backfill: small jobs run in holes but never delay the head reservation', () => {
  // 16 nodes; r holds 10 until t=100. Head needs 8 (free 6): reserved at t=100 with 8 free, extra 0... r frees 10 -> 16 avail, extra 8.
  const r = running(job('r', 10, { estimatedRuntimeSeconds: 100 }), range(0, 10), 0);
  const r2 = running(job('r2', 4, { estimatedRuntimeSeconds: 1000 }), range(10, 14), 0);
  // free: 14, 15 (2 nodes). Head 'big' needs 10: shadow t=100 (2 + 10 = 12 >= 10), extra 2.
  const cases: { name: string; q: SchedJob[]; want: string[] }[] = [
    { name: 'short job ends before shadow', q: [job('big', 10), job('short', 2, { submitSeconds: 1, estimatedRuntimeSeconds: 50 })], want: ['short'] },
    { name: 'long job fits the extra nodes', q: [job('big', 10), job('long', 2, { submitSeconds: 1, estimatedRuntimeSeconds: 5000 })], want: ['long'] },
    { name: 'no estimate: never backfilled', q: [job('big', 10), job('unknown', 1, { submitSeconds: 1 })], want: [] },
    { name: 'extra nodes are shared, not reused', q: [job('big', 10), job('l1', 2, { submitSeconds: 1, estimatedRuntimeSeconds: 5000 }), job('l2', 1, { submitSeconds: 2, estimatedRuntimeSeconds: 5000 })], want: ['l1'] },
  ];
  const tighter = running(job('r', 10, { estimatedRuntimeSeconds: 100 }), range(0, 10), 0);
  for (const c of cases) {
    const ds = createScheduler('backfill').schedule(view(topo, [r, r2]), c.q, 10);
    assert.deepEqual(Object.keys(starts(ds)).sort(), c.want.sort(), c.name);
  }
  // The head's reservation: head needs 12 (free 2 + r's 10 at t=100 -> extra 0). A 2-node job
  // running past t=100 would take 2 of the 12 and delay it: refused. One ending by t=100 is fine.
  const head = job('big', 12);
  const late = job('late', 2, { submitSeconds: 1, estimatedRuntimeSeconds: 200 });
  const early = job('early', 2, { submitSeconds: 1, estimatedRuntimeSeconds: 80 });
  assert.deepEqual(Object.keys(starts(createScheduler('backfill').schedule(view(topo, [tighter, r2]), [head, late], 10))), []);
  assert.deepEqual(Object.keys(starts(createScheduler('backfill').schedule(view(topo, [tighter, r2]), [head, early], 10))), ['early']);
});

test('priority preemption: victims lose the least work; lower or equal priority is safe', () => {
  const a = running(job('a', 8, { priority: 0 }), range(0, 8), 0, { lastCheckpointSeconds: 100 }); // lost 900
  const b = running(job('b', 8, { priority: 0 }), range(8, 16), 0, { lastCheckpointSeconds: 990 }); // lost 10
  const cases: { name: string; j: SchedJob; run: typeof a[]; want: string[] }[] = [
    { name: 'recently checkpointed victim chosen', j: job('hi', 8, { priority: 5 }), run: [a, b], want: ['b'] },
    { name: 'both needed', j: job('hi', 12, { priority: 5 }), run: [a, b], want: ['a', 'b'] },
    { name: 'equal priority never preempts', j: job('eq', 8, { priority: 0 }), run: [a, b], want: [] },
    { name: 'non-preemptible is safe', j: job('hi', 8, { priority: 5 }), run: [a, { ...b, preemptible: false }], want: ['a'] },
  ];
  for (const c of cases) {
    const ds = createScheduler('priority-preempt').schedule(view(topo, c.run), [c.j], 1000);
    assert.deepEqual(preempted(ds), c.want, c.name);
    if (c.want.length > 0) {
      assert.ok(starts(ds)[c.j.id], `${c.name}: preemptor starts`);
      assert.ok(ds.findIndex((d) => d.kind === 'preempt') < ds.findIndex((d) => d.kind === 'start'), 'preempt before start');
    }
  }
  assert.deepEqual(preempted(createScheduler('fifo').schedule(view(topo, [a, b]), [job('hi', 8, { priority: 5 })], 1000)), [], 'fifo never preempts');
});

test('quotas: guarantee, borrowing idle quota, borrow limit, reclaim', () => {
  const quotas = [
    { tenant: 'a', guaranteedGpus: 64, borrowLimitGpus: 32, weight: 1 },
    { tenant: 'b', guaranteedGpus: 64, borrowLimitGpus: 0, weight: 1 },
    { tenant: 'c', guaranteedGpus: 32, borrowLimitGpus: 0, weight: 1 },
  ];
  const cases: { name: string; run: ReturnType<typeof running>[]; q: SchedJob[]; wantStart: string[]; wantPreempt: string[] }[] = [
    { name: 'within guarantee', run: [], q: [job('a1', 8)], wantStart: ['a1'], wantPreempt: [] },
    { name: 'borrows idle quota', run: [], q: [job('a1', 12)], wantStart: ['a1'], wantPreempt: [] },
    { name: 'borrow limit', run: [], q: [job('a1', 13)], wantStart: [], wantPreempt: [] },
    { name: 'b cannot borrow', run: [], q: [job('b1', 9, { tenant: 'b' })], wantStart: [], wantPreempt: [] },
    {
      name: 'reclaim: b takes back what a borrowed',
      run: [running(job('a1', 8), range(0, 8), 0), running(job('a2', 4), range(8, 12), 0, { lastCheckpointSeconds: 90 })],
      q: [job('b1', 8, { tenant: 'b' })], wantStart: ['b1'], wantPreempt: ['a2'],
    },
    {
      name: 'reclaim never cuts into a guarantee',
      run: [running(job('a1', 12), range(0, 12), 0), running(job('c1', 4, { tenant: 'c' }), range(12, 16), 0)],
      q: [job('b1', 8, { tenant: 'b' })], wantStart: [], wantPreempt: [],
    },
  ];
  for (const c of cases) {
    const ds = createScheduler('fair-share').schedule(view(topo, c.run, { quotas }), c.q, 100);
    assert.deepEqual(Object.keys(starts(ds)), c.wantStart, c.name);
    assert.deepEqual(preempted(ds), c.wantPreempt, c.name);
  }
});

test('fair share: the tenant using less (per weight) goes first', () => {
  const quotas = [
    { tenant: 'a', guaranteedGpus: 64, borrowLimitGpus: 64, weight: 1 },
    { tenant: 'b', guaranteedGpus: 64, borrowLimitGpus: 64, weight: 1 },
  ];
  const v = view(topo, [running(job('a0', 8), range(0, 8))], { quotas });
  // 8 free nodes; a already uses 64 GPUs, so b's later job goes before a's earlier one.
  const q = [job('a1', 8, { submitSeconds: 1 }), job('b1', 8, { tenant: 'b', submitSeconds: 2 })];
  assert.deepEqual(Object.keys(starts(createScheduler('fair-share').schedule(v, q, 5))), ['b1']);
});

test('deterministic: same inputs, same decisions; inputs untouched', () => {
  const v = view(topo, [running(job('r', 3), [0, 5, 9])]);
  const q = [job('x', 4), job('y', 2, { submitSeconds: 1 }), job('z', 5, { priority: 2 })];
  const before = JSON.stringify(q);
  for (const p of SCHEDULER_POLICIES) assert.deepEqual(createScheduler(p).schedule(v, q, 7), createScheduler(p).schedule(v, q, 7));
  assert.equal(JSON.stringify(q), before);
});

test('preemption: a job is preempted at most once per cycle, and never one started in the same cycle', () => {
  // Two tenants over quota; many small jobs from a tenant within its guarantee: every policy with
  // reclaim or priority preemption must produce each victim once and only from the view's jobs.
  const quotas = [
    { tenant: 'a', guaranteedGpus: 32, borrowLimitGpus: Infinity, weight: 100 },
    { tenant: 'b', guaranteedGpus: 96, borrowLimitGpus: 0, weight: 1 },
  ];
  // 6 jobs of a on nodes 0-11 (a borrows), one of b on 12-13; nodes 14, 15 free. a-new (ordered
  // first: a's weight) starts on one of them, then b's jobs need reclaim or priority preemption:
  // a-new must not be among the victims.
  const run = [
    ...range(0, 6).map((i) => running(job(`a${i}`, 2, { priority: 0 }), [2 * i, 2 * i + 1], 0, { lastCheckpointSeconds: i * 10 })),
    running(job('b-old', 2, { tenant: 'b', priority: 5 }), [12, 13], 0),
  ];
  const q = [
    job('a-new', 1, { submitSeconds: 1 }),
    ...range(0, 6).map((i) => job(`b${i}`, 2, { tenant: 'b', priority: 5, submitSeconds: 2 + i })),
  ];
  for (const policy of SCHEDULER_POLICIES) {
    const ds = createScheduler(policy).schedule(view(topo, run, { quotas }), q, 100);
    const victims = ds.filter((d) => d.kind === 'preempt').map((d) => d.jobId);
    assert.equal(new Set(victims).size, victims.length, `${policy}: no victim twice`);
    assert.ok(victims.every((v) => run.some((r) => r.id === v)), `${policy}: victims were running before the cycle: ${victims.join(',')}`);
  }
});
