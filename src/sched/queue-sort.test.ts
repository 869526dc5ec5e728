import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreeIndex } from './free-index.ts';
import type { CycleState } from './framework.ts';
import { fairMerge, fairShareSort, fifoSort, priorityFairSort, prioritySort } from './plugins/queue-sort.ts';
import { gridTopology, job, view } from './test-cluster.ts';
import type { SchedJob, TenantQuota } from './types.ts';

const topo = gridTopology(1, 1, 4);
function stateWith(usage: Record<string, number>, quotas: TenantQuota[] = []): CycleState {
  return {
    nowSeconds: 0, view: view(topo), free: FreeIndex.empty(topo), startedThisCycle: [], preemptedThisCycle: new Set(),
    usageGpus: new Map(Object.entries(usage)), quotas: new Map(quotas.map((q) => [q.tenant, q])),
  };
}
const ids = (js: readonly SchedJob[]): string[] => js.map((j) => j.id);
const quota = (tenant: string, weight: number): TenantQuota => ({ tenant, guaranteedGpus: 0, borrowLimitGpus: Infinity, weight });

test('fifo: arrival order, ties broken by id in both directions; the input is not reordered', () => {
  const q = [job('c', 1, { submitSeconds: 5 }), job('b', 1, { submitSeconds: 1 }), job('a2', 1, { submitSeconds: 3 }), job('a1', 1, { submitSeconds: 3 })];
  assert.deepEqual(ids(fifoSort.sort(q)), ['b', 'a1', 'a2', 'c']);
  assert.deepEqual(ids(fifoSort.sort([...q].reverse())), ['b', 'a1', 'a2', 'c'], 'same order whatever the input order');
  assert.deepEqual(ids(q), ['c', 'b', 'a2', 'a1']);
  // Equal submit time and id: a stable, total order (no throw, both kept).
  assert.equal(fifoSort.sort([job('x', 1), job('x', 2)]).length, 2);
});

test('priority: higher first, then arrival order', () => {
  const q = [job('low', 1, { priority: 1, submitSeconds: 0 }), job('hi-late', 1, { priority: 9, submitSeconds: 5 }), job('hi-early', 1, { priority: 9, submitSeconds: 2 })];
  assert.deepEqual(ids(prioritySort.sort(q)), ['hi-early', 'hi-late', 'low']);
});

test('fair share: the tenant with the least GPUs per weight goes next, counting what is ordered ahead this cycle', () => {
  // a uses 16 GPUs, b none: b first; each 1-node job adds 8 GPUs to its tenant's share.
  const q = [job('a1', 1, { submitSeconds: 0 }), job('a2', 1, { submitSeconds: 1 }), job('b1', 1, { tenant: 'b', submitSeconds: 2 }), job('b2', 1, { tenant: 'b', submitSeconds: 3 }), job('b3', 1, { tenant: 'b', submitSeconds: 4 })];
  // b: 0 -> b1 (b=8), 8 vs a=16 -> b2 (b=16), tie 16/16 -> a (first in name order) a1, then b3 (16 < 24), a2.
  assert.deepEqual(ids(fairMerge(q, stateWith({ a: 16 }))), ['b1', 'b2', 'a1', 'b3', 'a2']);
  // Weight 4 for a: a's 16 GPUs count as 4, so a goes first until its share passes b's.
  assert.deepEqual(ids(fairMerge(q, stateWith({ a: 16 }, [quota('a', 4)]))), ['b1', 'a1', 'a2', 'b2', 'b3']);
  // Within a tenant: arrival order even when the queue lists them otherwise.
  assert.deepEqual(ids(fairMerge([job('z2', 1, { submitSeconds: 9 }), job('z1', 1, { submitSeconds: 1 })], stateWith({}))), ['z1', 'z2']);
  assert.deepEqual(ids(fairShareSort.sort(q, stateWith({ a: 16 }))), ids(fairMerge(q, stateWith({ a: 16 }))));
  assert.deepEqual(fairMerge([], stateWith({})), []);
});

test('fair share: a bigger job weighs more on its tenant\'s share (GPUs, not jobs)', () => {
  const q = [job('a-big', 4, { submitSeconds: 0 }), job('a-next', 1, { submitSeconds: 1 }), job('b1', 1, { tenant: 'b', submitSeconds: 2 }), job('b2', 1, { tenant: 'b', submitSeconds: 3 })];
  // a 0, b 0: tie -> a (name order) a-big (a=32); b1 (b=8), b2 (b=16), a-next.
  assert.deepEqual(ids(fairMerge(q, stateWith({}))), ['a-big', 'b1', 'b2', 'a-next']);
});

test('priority classes first, fair share within each class', () => {
  const q = [
    job('a-lo', 1, { priority: 1, submitSeconds: 0 }), job('b-hi', 1, { tenant: 'b', priority: 5, submitSeconds: 1 }),
    job('a-hi', 1, { priority: 5, submitSeconds: 2 }), job('b-lo', 1, { tenant: 'b', priority: 1, submitSeconds: 3 }),
  ];
  // Class 5: a uses 8 GPUs, b none -> b-hi, then a-hi. Class 1: after ordering, a 16 and b 8... shares
  // start again from usage: a 8, b 0 -> b-lo first, then a-lo.
  assert.deepEqual(ids(priorityFairSort.sort(q, stateWith({ a: 8 }))), ['b-hi', 'a-hi', 'b-lo', 'a-lo']);
});

test('fair share: tenants equal in share go in name order, whatever order their jobs arrive in', () => {
  const q = [job('z1', 1, { tenant: 'zed', submitSeconds: 0 }), job('a1', 1, { tenant: 'amy', submitSeconds: 5 })];
  assert.deepEqual(ids(fairMerge(q, stateWith({}))), ['a1', 'z1']);
});

test('queue-sort plug-ins are named as the policies list them', () => {
  assert.deepEqual([fifoSort, prioritySort, fairShareSort, priorityFairSort].map((p) => p.name), ['sort/fifo', 'sort/priority', 'sort/fair-share', 'sort/priority-fair-share']);
});
