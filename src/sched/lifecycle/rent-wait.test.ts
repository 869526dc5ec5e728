import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../index.ts';
import { gridTopology, job, range, running, view } from '../test-cluster.ts';
import type { PendingReason, SchedJob } from '../types.ts';
import { rentWaitReasons } from './rent-wait.ts';

const topo = gridTopology(2, 2, 4); // 16 nodes
const codes = (m: ReadonlyMap<string, PendingReason>): Record<string, string> => Object.fromEntries([...m].map(([id, r]) => [id, r.code]));
/** The explained cycle of `policy` with all 16 nodes busy, then the rented nodes on the way. */
function reasons(policy: string, q: SchedJob[], provisioningNodes: number, problem?: string): ReadonlyMap<string, PendingReason> {
  const r = running(job('r', 16, { estimatedRuntimeSeconds: 100 }), range(0, 16), 0);
  const { pending } = createScheduler(policy).scheduleExplained!(view(topo, [r]), q, 10);
  const nodes = new Map(q.map((j) => [j.id, j.nodes]));
  return rentWaitReasons(pending, (id) => nodes.get(id)!, { provisioningNodes, ...(problem !== undefined ? { problem } : {}) });
}
const q = (): SchedJob[] => [job('a', 4), job('b', 2, { submitSeconds: 1 }), job('c', 3, { submitSeconds: 2 }), job('d', 1, { submitSeconds: 3 })];

test('rent wait: every queued job the nodes on the way cover says WaitingForRentedNodes, not only the head (strict order)', () => {
  // 7 nodes joining, in queue order: a takes 4, b 2; c (3) is not covered; d (1) is.
  for (const policy of ['fifo', 'priority-preempt', 'default', 'backfill']) {
    assert.deepEqual(codes(reasons(policy, q(), 7)), { a: 'WaitingForRentedNodes', b: 'WaitingForRentedNodes', c: 'Priority', d: 'WaitingForRentedNodes' }, policy);
  }
});

test('rent wait: skip-ahead policy: the covered jobs say WaitingForRentedNodes; one the joining nodes cannot hold keeps NodeDown', () => {
  const p = reasons('fair-share', [job('a', 4), job('big', 17, { submitSeconds: 1 }), job('b', 2, { submitSeconds: 2 })], 6);
  assert.deepEqual(codes(p), { a: 'WaitingForRentedNodes', big: 'NodeDown', b: 'WaitingForRentedNodes' });
  assert.match(p.get('b')!.message, /6 rented node\(s\) joining, 2 of them for this job/);
});

test('rent wait: the head keeps its estimated start; nothing on the way changes nothing', () => {
  const p = reasons('fifo', q(), 4);
  assert.equal(p.get('a')!.code, 'WaitingForRentedNodes');
  assert.equal(p.get('a')!.estimatedStartSeconds, 100);
  assert.deepEqual(codes(reasons('fifo', q(), 0)), { a: 'Resources', b: 'Priority', c: 'Priority', d: 'Priority' });
});

test('rent wait: a refused rent request: the jobs next in line say WaitingForRentedNodes with the provider\'s words', () => {
  const p = reasons('fair-share', [job('a', 4), job('b', 2, { submitSeconds: 1 })], 0, 'Out of host capacity');
  assert.deepEqual(codes(p), { a: 'WaitingForRentedNodes', b: 'WaitingForRentedNodes' });
  assert.match(p.get('a')!.message, /the last rent request failed: Out of host capacity/);
  assert.deepEqual(codes(reasons('fifo', q(), 0, 'Out of host capacity')), { a: 'WaitingForRentedNodes', b: 'Priority', c: 'Priority', d: 'Priority' });
});

test('rent wait: a job over its quota is not waiting for rented nodes and claims none of them', () => {
  const quotas = [{ tenant: 'x', guaranteedGpus: 8, borrowLimitGpus: 0, weight: 1 }];
  const qq = [job('over', 2, { tenant: 'x' }), job('a', 2, { submitSeconds: 1 })];
  const { pending } = createScheduler('fair-share').scheduleExplained!(view(topo, [running(job('r', 16), range(0, 16), 0)], { quotas }), qq, 10);
  const p = rentWaitReasons(pending, (id) => qq.find((j) => j.id === id)!.nodes, { provisioningNodes: 2 });
  assert.deepEqual(codes(p), { over: 'QuotaExceeded', a: 'WaitingForRentedNodes' });
});

test('rent wait: a job waiting on down nodes (NodeDown) is served by rented nodes too, and is next in line after a refusal; nothing rented returns the cycle\'s reasons as they are', () => {
  const pending = new Map<string, PendingReason>([
    ['down', { code: 'NodeDown', message: 'needs 2 node(s); 3 down' }],
    ['big', { code: 'NodeDown', message: 'needs 9 node(s); 3 down' }],
  ]);
  const nodes = (id: string) => (id === 'big' ? 9 : 2);
  assert.deepEqual(codes(rentWaitReasons(pending, nodes, { provisioningNodes: 2 })), { down: 'WaitingForRentedNodes', big: 'NodeDown' }, 'covered NodeDown job waits for the rented nodes');
  assert.deepEqual(codes(rentWaitReasons(pending, nodes, { provisioningNodes: 0, problem: 'Out of host capacity' })), { down: 'WaitingForRentedNodes', big: 'WaitingForRentedNodes' }, 'after a refusal every NodeDown job is next in line');
  assert.equal(rentWaitReasons(pending, nodes, { provisioningNodes: 0 }), pending, 'nothing on the way and no refusal: no copy per cycle');
  assert.deepEqual(codes(rentWaitReasons(pending, nodes, { provisioningNodes: 1 })), { down: 'NodeDown', big: 'NodeDown' }, 'one node on the way covers neither');
});
