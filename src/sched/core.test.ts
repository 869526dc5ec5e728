import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freeIndexOf, PolicyScheduler } from './core.ts';
import type { CycleState } from './framework.ts';
import { fifoSort } from './plugins/queue-sort.ts';
import { createScheduler } from './index.ts';
import { gridTopology, job, range, running, view } from './test-cluster.ts';
import type { ClusterView, Decision, RunningJob, SchedJob, TenantQuota } from './types.ts';

// The scheduling cycle of core.ts (PolicyScheduler), behaviour by behaviour.
const topo = gridTopology(2, 2, 4); // 16 nodes, 8 GPUs each
const started = (ds: Decision[]): string[] => ds.flatMap((d) => (d.kind === 'start' ? [d.jobId] : []));

test('the driver\'s free index is used in place and left exactly as it was after the cycle', () => {
  const base = view(topo, [running(job('r', 4), range(0, 4), 0)]);
  const free = freeIndexOf(base);
  const before = [free.totalFree, ...range(0, 16).map((n) => free.freeGpus(n))];
  const ds = createScheduler('fifo').schedule({ ...base, freeIndex: free }, [job('a', 6), job('b', 4, { submitSeconds: 1 })], 0);
  assert.deepEqual(started(ds), ['a', 'b'], 'jobs were placed on the driver\'s index');
  assert.deepEqual([free.totalFree, ...range(0, 16).map((n) => free.freeGpus(n))], before);
});

test('jobs started earlier in the cycle hold their nodes: later jobs get other nodes', () => {
  const ds = createScheduler('fair-share').schedule(view(topo), [job('a', 8), job('b', 8, { submitSeconds: 1 }), job('c', 1, { submitSeconds: 2 })], 0);
  const nodes = ds.flatMap((d) => (d.kind === 'start' ? [...d.nodeIndices] : []));
  assert.deepEqual(started(ds), ['a', 'b'], 'c finds no node left');
  assert.equal(new Set(nodes).size, 16);
});

test('a preempted job\'s GPUs leave its tenant\'s usage: the tenant may start a job within quota in the same cycle', () => {
  // a: guarantee 64 GPUs, no borrowing, uses 64 (a0-a5 and lo, 2 nodes). hi (b) preempts lo and takes one of its
  // two nodes; a-next then fits a's quota again (48 + 8 <= 64) only if lo's 16 GPUs left a's usage.
  const quotas: TenantQuota[] = [{ tenant: 'a', guaranteedGpus: 64, borrowLimitGpus: 0, weight: 1 }, { tenant: 'b', guaranteedGpus: 64, borrowLimitGpus: 64, weight: 1 }];
  const run = [
    ...range(0, 6).map((i) => running(job(`a${i}`, 1, { priority: 5, preemptible: false }), [i], 0)),
    running(job('lo', 2, { priority: 0 }), [6, 7], 0),
    ...range(8, 16).map((i) => running(job(`b${i}`, 1, { tenant: 'b', priority: 9, preemptible: false }), [i], 0)),
  ];
  const q = [job('hi', 1, { tenant: 'b', priority: 9, submitSeconds: 1 }), job('a-next', 1, { priority: 0, submitSeconds: 2 })];
  const ds = createScheduler('default').schedule(view(topo, run, { quotas }), q, 10);
  assert.deepEqual(ds.filter((d) => d.kind === 'preempt').map((d) => d.jobId), ['lo']);
  assert.deepEqual(started(ds), ['hi', 'a-next']);
});

test('a job started this cycle counts in the head\'s reservation: its estimated end frees its nodes', () => {
  // 16 nodes: r holds 12 with no estimate. 'short' (4 nodes, 30 s) starts at t=10; the head needs 16 -> never (r never ends).
  // The head needs 4: free now would be 0 after 'short', short ends at 40: the head's estimate is 40.
  const v = view(topo, [running(job('r', 12), range(0, 12), 0)]);
  const { decisions, pending } = createScheduler('fifo').scheduleExplained!(v, [job('short', 4, { estimatedRuntimeSeconds: 30 }), job('head', 4, { submitSeconds: 1 })], 10);
  assert.deepEqual(started(decisions), ['short']);
  assert.equal(pending.get('head')!.estimatedStartSeconds, 40, 'short started at now (10) and runs 30 s');
});

test('while a reservation holds, a job that passes the backfill guard starts only on free nodes, never by preempting', () => {
  // No node free. big (16 nodes) cannot fit even by preemption (r1 is not preemptible): it reserves t=200.
  // hi would end in time (guard passes) and outranks r2, but may not preempt r2 while the reservation holds.
  const r1 = running(job('r1', 8, { priority: 9, preemptible: false, estimatedRuntimeSeconds: 100 }), range(0, 8), 0);
  const r2 = running(job('r2', 8, { priority: 0, estimatedRuntimeSeconds: 200 }), range(8, 16), 0);
  const q = [job('big', 16, { priority: 9 }), job('hi', 4, { priority: 5, submitSeconds: 1, estimatedRuntimeSeconds: 10 })];
  const ds = createScheduler('default').schedule(view(topo, [r1, r2]), q, 10);
  assert.deepEqual(ds, []);
  // Without the blocked head, hi does preempt r2: the guard is what stops it.
  assert.deepEqual(createScheduler('default').schedule(view(topo, [r1, r2]), [q[1]!], 10).map((d) => `${d.kind} ${'jobId' in d ? d.jobId : ''}`), ['preempt r2', 'start hi']);
});

test('pending: the words name the GPU type the job asks for', () => {
  const v = view(topo, [running(job('r', 10), range(0, 10), 0)]);
  const p = createScheduler('fifo').scheduleExplained!(v, [job('j', 8, { gpuType: 'h100' })], 0).pending;
  assert.equal(p.get('j')!.message, 'needs 8 node(s) x 8 GPU(s) of type h100; not enough free now');
  const plain = createScheduler('fifo').scheduleExplained!(v, [job('j', 8)], 0).pending;
  assert.equal(plain.get('j')!.message, 'needs 8 node(s) x 8 GPU(s); not enough free now');
});

test('pending: NodeDown says how many nodes are in service', () => {
  const down: ClusterView = view(topo, [], { down: range(0, 4) });
  const p = createScheduler('fifo').scheduleExplained!(down, [job('j', 13)], 0).pending;
  assert.equal(p.get('j')!.message, 'needs 13 node(s) x 8 GPU(s); only 12 node(s) are in service (others down or drained)');
});

test('pending: strict order, every job behind the blocked head waits for Priority naming the head', () => {
  const v = view(topo, [running(job('r', 10), range(0, 10), 0)]);
  const p = createScheduler('fifo').scheduleExplained!(v, [job('head', 8), job('x', 1, { submitSeconds: 1 }), job('y', 1, { submitSeconds: 2 })], 0).pending;
  for (const id of ['x', 'y']) assert.deepEqual(p.get(id), { code: 'Priority', message: 'waiting behind head, ahead of it in the queue and waiting for resources' }, id);
});

test('schedule() without explanations stops at the blocked head in strict order: nothing behind it starts', () => {
  const v = view(topo, [running(job('r', 10), range(0, 10), 0)]);
  assert.deepEqual(createScheduler('fifo').schedule(v, [job('head', 8), job('small', 1, { submitSeconds: 1 })], 0), []);
});

test('tenant usage: running GPUs are summed once (or taken from the driver\'s map alone), and each start adds to them', () => {
  const quotas: TenantQuota[] = [{ tenant: 'a', guaranteedGpus: 16, borrowLimitGpus: 0, weight: 1 }];
  const run = [running(job('r', 1), [0], 0)]; // a uses 8 of 16
  const q = [job('a1', 1, { submitSeconds: 1 }), job('a2', 1, { submitSeconds: 2 })];
  assert.deepEqual(started(createScheduler('fair-share').schedule(view(topo, run, { quotas }), q, 0)), ['a1'], '8 + 8 = 16; a2 would make 24');
  const withMap: ClusterView = { ...view(topo, run, { quotas }), usageGpusByTenant: new Map([['a', 8]]) };
  assert.deepEqual(started(createScheduler('fair-share').schedule(withMap, q, 0)), ['a1'], 'the driver\'s 8 are not added to the running jobs\' 8');
});

test('a job started in the cycle is seen by later plug-ins as running: every field of the job, its nodes, GPUs and start', () => {
  const seen: RunningJob[] = [];
  const policy = {
    name: 'spy', sort: fifoSort, admit: [], preempt: [], strict: true,
    backfill: { name: 'spy', reserve: (_h: SchedJob, st: CycleState) => { seen.push(...st.startedThisCycle); return Object.assign(() => false, { shadowSeconds: Infinity }); } },
  };
  const a = job('a', 2, { tenant: 't', priority: 4, kind: 'serve', gpusPerNode: 8, submitSeconds: 3, estimatedRuntimeSeconds: 600, preemptible: false, gpuType: 'h100' });
  new PolicyScheduler(policy).schedule(view(gridTopology(1, 1, 2, 'hall')), [a, job('big', 16, { submitSeconds: 4 })], 50);
  assert.equal(seen.length, 1, 'big is blocked: the spy sees the cycle');
  const r = seen[0]!;
  assert.deepEqual(
    [r.id, r.tenant, r.priority, r.kind, r.nodes, r.gpusPerNode, r.submitSeconds, r.estimatedRuntimeSeconds, r.preemptible, r.gpuType, r.startSeconds, r.lastCheckpointSeconds],
    ['a', 't', 4, 'serve', 2, 8, 3, 600, false, 'h100', 50, 50]);
  assert.deepEqual([...r.nodeIndices].sort(), [0, 1]);
});
