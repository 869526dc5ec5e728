// The policy registry (index.ts): each name gives the composition its doc promises, shown by
// what the scheduler decides on one small cluster, plus the registry's own errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, registerPolicy, SCHEDULER_POLICIES } from './index.ts';
import { gridTopology, job, range, running, view } from './test-cluster.ts';
import type { ClusterView, Decision, SchedJob, TenantQuota } from './types.ts';
import type { Policy } from './framework.ts';
import { easyBackfill } from './plugins/backfill.ts';
import { fifoSort } from './plugins/queue-sort.ts';
import { UnknownNameError } from '../lib/errors.ts';

// One leaf of 4 eight-GPU nodes.
const topo = gridTopology(1, 1, 4);
const NOW = 10;

/** The cycle's decisions as `start id` / `preempt id`, in order. */
const decide = (policy: string, v: ClusterView, q: SchedJob[]): string[] =>
  createScheduler(policy).schedule(v, q, NOW).map((d: Decision) => `${d.kind} ${'jobId' in d ? d.jobId : ''}`);

// r holds nodes 0-1 until t=100. The head needs all 4 nodes, so it is blocked until then; behind it,
// `short` (1 node, ends at 60: before the head's reserved start) and `long` (1 node, ends at 510).
const r = running(job('r', 2, { estimatedRuntimeSeconds: 100, preemptible: false }), range(0, 2), 0);
const blockedHead = [
  job('head', 4),
  job('short', 1, { submitSeconds: 1, estimatedRuntimeSeconds: 50 }),
  job('long', 1, { submitSeconds: 2, estimatedRuntimeSeconds: 500 }),
];

test('registry: each policy name gives a scheduler that reports that name', () => {
  assert.deepEqual([...SCHEDULER_POLICIES].sort(), ['backfill', 'default', 'fair-share', 'fifo', 'priority-preempt']);
  for (const p of SCHEDULER_POLICIES) assert.equal(createScheduler(p).name, p);
});

test('fifo: strict head-of-line blocking: nothing starts behind a blocked head, even what fits', () => {
  assert.deepEqual(decide('fifo', view(topo, [r]), blockedHead), []);
  // Arrival order, not priority, and no preemption.
  const lo = running(job('lo', 4, { priority: 0 }), range(0, 4), 0);
  assert.deepEqual(decide('fifo', view(topo, [lo]), [job('hi', 1, { priority: 9 })]), []);
  assert.deepEqual(decide('fifo', view(topo), [job('first', 3), job('urgent', 3, { priority: 9, submitSeconds: 1 })]), ['start first']);
});

test('backfill: a job that ends before the head\'s reserved start backfills; one that would delay it waits', () => {
  assert.deepEqual(decide('backfill', view(topo, [r]), blockedHead), ['start short']);
});

test('fair-share: skips what does not fit: later jobs start whatever their runtime', () => {
  assert.deepEqual(decide('fair-share', view(topo, [r]), blockedHead), ['start short', 'start long']);
});

test('fair-share and default: tenants take turns: b\'s first job starts before a\'s second', () => {
  const q = [job('a1', 2), job('a2', 2, { submitSeconds: 1 }), job('a3', 2, { submitSeconds: 2 }), job('b1', 2, { tenant: 'b', submitSeconds: 3 })];
  assert.deepEqual(decide('fair-share', view(topo), q), ['start a1', 'start b1']);
  assert.deepEqual(decide('default', view(topo), q), ['start a1', 'start b1']);
  assert.deepEqual(decide('backfill', view(topo), q), ['start a1', 'start a2'], 'arrival order, for contrast');
});

test('fair-share: a tenant over its quota is skipped, not blocking the others', () => {
  const quotas: TenantQuota[] = [
    { tenant: 'a', guaranteedGpus: 8, borrowLimitGpus: 0, weight: 1 },
    { tenant: 'b', guaranteedGpus: 8, borrowLimitGpus: 8, weight: 1 },
  ];
  const q = [job('a1', 1), job('a2', 1, { submitSeconds: 1 }), job('b1', 1, { tenant: 'b', submitSeconds: 2 }), job('b2', 1, { tenant: 'b', submitSeconds: 3 })];
  assert.deepEqual(decide('fair-share', view(topo, [], { quotas }), q), ['start a1', 'start b1', 'start b2']);
});

test('priority-preempt: priority order, preempts a lower-priority preemptible job, never a protected one', () => {
  const lo = running(job('lo', 4, { priority: 0 }), range(0, 4), 0);
  assert.deepEqual(decide('priority-preempt', view(topo, [lo]), [job('hi', 1, { priority: 9 })]), ['preempt lo', 'start hi']);
  const prot = running(job('prot', 4, { priority: 0, preemptible: false }), range(0, 4), 0);
  assert.deepEqual(decide('priority-preempt', view(topo, [prot]), [job('hi', 1, { priority: 9 })]), []);
  assert.deepEqual(decide('priority-preempt', view(topo), [job('first', 3), job('urgent', 3, { priority: 9, submitSeconds: 1 })]), ['start urgent']);
});

test('priority-preempt: strict: a blocked high-priority job holds back lower-priority ones that fit', () => {
  // r is not preemptible: the 4-node job cannot start, and the 1-node job behind it waits.
  const q = [job('big', 4, { priority: 9 }), job('small', 1, { submitSeconds: 1, estimatedRuntimeSeconds: 50 })];
  assert.deepEqual(decide('priority-preempt', view(topo, [r]), q), []);
});

test('default: quotas, priority preemption and backfill together', () => {
  // Quota admission: a's second job would exceed its 8 GPUs and is skipped; b's job still starts.
  const quotas: TenantQuota[] = [{ tenant: 'a', guaranteedGpus: 8, borrowLimitGpus: 0, weight: 1 }];
  const q = [job('a1', 1), job('a2', 1, { submitSeconds: 1 }), job('b1', 1, { tenant: 'b', submitSeconds: 2 })];
  assert.deepEqual(decide('default', view(topo, [], { quotas }), q), ['start a1', 'start b1']);
  // Priority preemption.
  const lo = running(job('lo', 4, { priority: 0 }), range(0, 4), 0);
  assert.deepEqual(decide('default', view(topo, [lo]), [job('hi', 1, { priority: 9 })]), ['preempt lo', 'start hi']);
  // Backfill behind a blocked head, without delaying its reservation.
  assert.deepEqual(decide('default', view(topo, [r]), blockedHead), ['start short']);
});

test('fair-share and default: reclaim: a tenant within its guarantee takes back GPUs another tenant borrowed', () => {
  const quotas: TenantQuota[] = [
    { tenant: 'a', guaranteedGpus: 16, borrowLimitGpus: 0, weight: 1 },
    { tenant: 'b', guaranteedGpus: 16, borrowLimitGpus: 16, weight: 1 },
  ];
  // b runs one-node jobs on all 4 nodes (32 GPUs: 16 borrowed); a, at equal priority, reclaims one node.
  const bs = range(0, 4).map((n) => running(job(`b${n}`, 1, { tenant: 'b' }), [n], 0));
  for (const policy of ['fair-share', 'default']) {
    const ds = decide(policy, view(topo, bs, { quotas }), [job('a1', 1)]);
    assert.equal(ds.length, 2, policy);
    assert.match(ds[0]!, /^preempt b[0-3]$/, policy);
    assert.equal(ds[1], 'start a1', policy);
  }
  assert.deepEqual(decide('priority-preempt', view(topo, bs, { quotas }), [job('a1', 1)]), [], 'priority-preempt does not reclaim');
});

test('createScheduler: an unknown name is an UnknownNameError listing the known policies', () => {
  assert.throws(() => createScheduler('lottery'), (e: unknown) => {
    assert.ok(e instanceof UnknownNameError, 'an UnknownNameError');
    assert.equal(e.value, 'lottery');
    assert.deepEqual([...e.known], [...SCHEDULER_POLICIES]);
    assert.match(e.message, /^unknown scheduler policy "lottery"; known: fifo, /);
    return true;
  });
});

test('createScheduler: options are accepted and change nothing yet', () => {
  assert.deepEqual(createScheduler('fifo', {}).schedule(view(topo, [r]), blockedHead, NOW), []);
});

test('registerPolicy: a duplicate name throws, naming it, and keeps the first policy', () => {
  const backfillAsFifo = (): Policy => ({ name: 'fifo', sort: fifoSort, admit: [], preempt: [], backfill: easyBackfill, strict: true });
  assert.throws(() => registerPolicy('fifo', backfillAsFifo), /"fifo"/);
  assert.deepEqual(decide('fifo', view(topo, [r]), blockedHead), [], 'fifo still blocks head-of-line');
});
