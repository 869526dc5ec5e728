import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../lib/rng.ts';
import { FreeIndex } from './free-index.ts';
import type { CycleState } from './framework.ts';
import { freeIndexOf } from './core.ts';
import { createScheduler } from './index.ts';
import { reserve, weightedThreshold } from './plugins/backfill.ts';
import { chooseVictims, quotaReclaim } from './plugins/preempt.ts';
import { admitQuota, borrowedGpus, quotaOf } from './plugins/quota.ts';
import { gridTopology, job, range, running, view } from './test-cluster.ts';
import type { ClusterView, Decision, RunningJob, SchedJob, TenantQuota } from './types.ts';

const topo = gridTopology(2, 2, 4); // 16 nodes
const started = (ds: Decision[]): string[] => ds.flatMap((d) => (d.kind === 'start' ? [d.jobId] : []));

function cycleState(v: ClusterView, now = 0, usage?: Record<string, number>): CycleState {
  const usageGpus = new Map<string, number>(usage ? Object.entries(usage) : []);
  if (!usage) for (const r of v.running) usageGpus.set(r.tenant, (usageGpus.get(r.tenant) ?? 0) + r.nodes * r.gpusPerNode);
  return { nowSeconds: now, view: v, free: freeIndexOf(v), startedThisCycle: [], preemptedThisCycle: new Set(), usageGpus, quotas: new Map(v.quotas.map((q) => [q.tenant, q])) };
}

test('weightedThreshold: the smallest end time by which the counts reach the need (against a sort, 300 random cases)', () => {
  const rng = new Rng(11);
  for (let c = 0; c < 300; c++) {
    const m = rng.int(0, 40);
    const ends = Array.from({ length: m }, () => rng.int(0, 20));
    const counts = Array.from({ length: m }, () => rng.int(1, 5));
    const need = rng.int(1, 60);
    const sorted = ends.map((e, i) => [e, counts[i]!] as const).sort((a, b) => a[0] - b[0]);
    let acc = 0;
    let want: number | undefined;
    for (const [e, n] of sorted) { acc += n; if (acc >= need) { want = e; break; } }
    const e = new Float64Array(ends.length + 3); e.set(ends);
    const n = new Int32Array(ends.length + 3); n.set(counts);
    assert.equal(weightedThreshold(e, n, m, need), want, JSON.stringify({ ends, counts, need }));
  }
});

test('backfill reservation: shadow time and extra nodes from running jobs\' estimates; none without estimates', () => {
  const r1 = running(job('r1', 6, { estimatedRuntimeSeconds: 100 }), range(0, 6), 0);
  const r2 = running(job('r2', 6, { estimatedRuntimeSeconds: 300 }), range(6, 12), 0);
  const r3 = running(job('r3', 2), range(12, 14), 0); // no estimate: never ends
  const st = cycleState(view(topo, [r1, r2, r3]), 50);
  // 2 free; head 8 needs 6 more: r1's 6 at t=100 -> 8 free, extra 0.
  const g = reserve(job('head', 8), st);
  assert.equal(g.shadowSeconds, 100);
  assert.equal(g(job('ends-in-time', 2, { estimatedRuntimeSeconds: 50 })), true, 'ends at 100: in time');
  assert.equal(g(job('one-too-long', 2, { estimatedRuntimeSeconds: 51 })), false);
  assert.equal(g(job('no-estimate', 1)), false);
  // Head 10: r1 and r2 by t=300 -> 14 free, extra 4: 4 long nodes may go, then no more.
  const g2 = reserve(job('head', 10), st);
  assert.equal(g2.shadowSeconds, 300);
  assert.equal(g2(job('long3', 3, { estimatedRuntimeSeconds: 9999 })), true);
  assert.equal(g2(job('long2', 2, { estimatedRuntimeSeconds: 9999 })), false, 'only 1 extra node left');
  assert.equal(g2(job('long1', 1, { estimatedRuntimeSeconds: 9999 })), true);
  // Head 15: more than ever frees (r3 never ends): no shadow time.
  assert.equal(reserve(job('head', 15), st).shadowSeconds, Infinity);
  // Head fits now (2 free): shadow is now, extra is what is left over.
  const now = reserve(job('head', 1), st);
  assert.equal(now.shadowSeconds, 50);
  assert.equal(now(job('x', 1, { estimatedRuntimeSeconds: 1e6 })), true);
  // A preempted job's nodes are not counted; jobs started this cycle are.
  const st2 = cycleState(view(topo, [r1, r2, r3]), 50);
  st2.preemptedThisCycle.add('r1');
  st2.startedThisCycle.push(running(job('s', 2, { estimatedRuntimeSeconds: 10 }), [14, 15], 50));
  assert.equal(reserve(job('head', 8), st2).shadowSeconds, 300, 'r1 not counted: r2 at 300 (s frees 2 at 60: 2 + 2 + 6 >= 8)');
  assert.equal(reserve(job('head', 4), st2).shadowSeconds, 60, 's ends at 60');
});

test('backfill: a reservation never moves later once the head is past its shadow time (now later than every end)', () => {
  const r1 = running(job('r1', 14, { estimatedRuntimeSeconds: 10 }), range(0, 14), 0);
  assert.equal(reserve(job('head', 16), cycleState(view(topo, [r1]), 500)).shadowSeconds, 500, 'overdue jobs: expected now');
});

test('backfill: a head that can never start lets through only what fits the extra nodes (none), however short', () => {
  const r3 = running(job('r3', 14), range(0, 14), 0); // no estimate: never ends
  const g = reserve(job('head', 15), cycleState(view(topo, [r3]), 50));
  assert.equal(g.shadowSeconds, Infinity);
  assert.equal(g(job('short', 1, { estimatedRuntimeSeconds: 1 })), false, 'no shadow time: "ends before it" never holds');
});

test('backfill: a running job estimated to run forever never frees its nodes for the reservation', () => {
  const forever = running(job('forever', 14, { estimatedRuntimeSeconds: Infinity }), range(0, 14), 0);
  const g = reserve(job('head', 4), cycleState(view(topo, [forever]), 50));
  assert.equal(g.shadowSeconds, Infinity);
  assert.equal(g(job('long', 1, { estimatedRuntimeSeconds: 1e6 })), false, 'extra stays 0: its 14 nodes are never counted');
});

test('backfill: a head that exactly fits the free nodes is reserved now, with no extra nodes', () => {
  const g = reserve(job('head', 16), cycleState(view(topo), 50));
  assert.equal(g.shadowSeconds, 50, 'need 0: now');
  assert.equal(g(job('short', 1, { estimatedRuntimeSeconds: 0 })), true, 'ends by now');
  assert.equal(g(job('long', 1, { estimatedRuntimeSeconds: 1 })), false, 'extra 0');
});

test('backfill: a reservation counts only this call\'s running jobs, not those left in its buffers by an earlier call', () => {
  const big = cycleState(view(topo, [running(job('a', 4, { estimatedRuntimeSeconds: 10 }), range(0, 4), 0), running(job('b', 8, { estimatedRuntimeSeconds: 20 }), range(4, 12), 0)]), 0);
  assert.equal(reserve(job('head', 16), big).shadowSeconds, 20);
  // Now one running job: 12 free, head 14 needs 2 -> c's 4 at 50: 16 free, extra exactly 2.
  const g = reserve(job('head', 14), cycleState(view(topo, [running(job('c', 4, { estimatedRuntimeSeconds: 50 }), range(0, 4), 0)]), 0));
  assert.equal(g.shadowSeconds, 50);
  assert.equal(g(job('long2', 2, { estimatedRuntimeSeconds: 1e6 })), true);
  assert.equal(g(job('long1', 1, { estimatedRuntimeSeconds: 1e6 })), false, 'extra used up: 2, not more from stale entries');
});

test('backfill: more running jobs than the initial buffers hold (2000) are all counted', () => {
  const n = 2000;
  const big = gridTopology(1, 1, n + 1);
  // Every job runs long except the last one, beyond the first 1024 entries, which ends at 10.
  const rs = range(0, n).map((i) => running(job(`r${i}`, 1, { estimatedRuntimeSeconds: i === n - 1 ? 10 : 1e6 }), [i], 0));
  const g = reserve(job('head', 2), cycleState(view(big, rs), 0));
  assert.equal(g.shadowSeconds, 10, '1 free + the last job\'s node at t=10');
});

test('victims: least lost work first, then lower priority, then the later start, then id; only victims whose nodes are used', () => {
  const mk = (id: string, nodes: number[], ckpt: number, extra: Partial<RunningJob> = {}) =>
    running(job(id, nodes.length, { priority: extra.priority ?? 0 }), nodes, extra.startSeconds ?? 0, { lastCheckpointSeconds: ckpt, ...extra });
  const full = (rs: RunningJob[]) => cycleState(view(gridTopology(1, 1, 4), rs), 100);
  const pick = (rs: RunningJob[], n: number) => chooseVictims(job('new', n, { priority: 9 }), full(rs), [...rs])?.map((v) => v.id) ?? null;
  assert.deepEqual(pick([mk('old', [0, 1], 10), mk('fresh', [2, 3], 90)], 2), ['fresh']);
  assert.deepEqual(pick([mk('p5', [0, 1], 50, { priority: 5 }), mk('p1', [2, 3], 50, { priority: 1 })], 2), ['p1']);
  assert.deepEqual(pick([mk('early', [0, 1], 50, { startSeconds: 1 }), mk('late', [2, 3], 50, { startSeconds: 2 })], 2), ['late']);
  assert.deepEqual(pick([mk('b', [0, 1], 50), mk('a', [2, 3], 50)], 2), ['a']);
  assert.deepEqual(pick([mk('a', [0, 1], 50), mk('b', [2, 3], 60)], 4), ['b', 'a']);
  const both = [mk('a', [0, 1], 50), mk('keep', [2, 3], 50)];
  assert.equal(chooseVictims(job('new', 4, { priority: 9 }), full(both), [both[0]!]), null, 'not enough even with every candidate');
  // Lost work is counted from the start when there is no checkpoint.
  const noCkpt = running(job('never', 2), [0, 1], 95);
  assert.deepEqual(pick([mk('ckpt', [2, 3], 50), noCkpt], 2), ['never'], 'started at 95: loses 5 s');
});

test('reclaim: only from tenants over their guarantee by at least the victim\'s size; never when none borrows', () => {
  const quotas: TenantQuota[] = [
    { tenant: 'a', guaranteedGpus: 64, borrowLimitGpus: 64, weight: 1 },
    { tenant: 'b', guaranteedGpus: 64, borrowLimitGpus: 0, weight: 1 },
  ];
  const a1 = running(job('a1', 8), range(0, 8), 0, { lastCheckpointSeconds: 0 });
  const a2 = running(job('a2', 8), range(8, 16), 0, { lastCheckpointSeconds: 90 });
  const st = cycleState(view(topo, [a1, a2], { quotas }), 100);
  assert.deepEqual(quotaReclaim.victims(job('b1', 8, { tenant: 'b' }), st)?.map((v) => v.id), ['a2']);
  assert.equal(quotaReclaim.victims(job('b-big', 9, { tenant: 'b' }), st), null, 'beyond b\'s guarantee: no reclaim');
  assert.equal(quotaReclaim.victims(job('a3', 1), st), null, 'a cannot reclaim from itself');
  const within = cycleState(view(topo, [a1], { quotas }), 100);
  assert.equal(quotaReclaim.victims(job('b1', 8, { tenant: 'b' }), within), null, 'a within its guarantee');
  assert.equal(quotaReclaim.victims(job('b1', 8, { tenant: 'b' }), cycleState(view(topo, [a1, a2]), 100)), null, 'no quotas: no reclaim');
});

test('quota: guarantee plus borrow limit; a tenant without an entry borrows without limit; borrowed GPUs', () => {
  const quotas: TenantQuota[] = [{ tenant: 'a', guaranteedGpus: 16, borrowLimitGpus: 8, weight: 1 }];
  const st = cycleState(view(topo, [], { quotas }), 0, { a: 16, z: 40 });
  assert.equal(admitQuota(job('a-ok', 1), st).code, 'success', '16 + 8 = 24 <= 24');
  assert.equal(admitQuota(job('a-no', 2), st).code, 'unschedulable');
  assert.equal(admitQuota(job('z', 100, { tenant: 'z' }), st).code, 'success', 'no entry: unlimited');
  assert.deepEqual(quotaOf(st, 'z'), { tenant: 'z', guaranteedGpus: 0, borrowLimitGpus: Infinity, weight: 1 });
  assert.equal(borrowedGpus(st, 'a'), 0);
  assert.equal(borrowedGpus(st, 'z'), 40);
  assert.equal(admitQuota(job('any', 100), cycleState(view(topo), 0, { a: 999 })).code, 'success', 'no quotas at all');
});

test('quota: a tenant with an entry but no usage yet starts from zero; the refusal names tenant, use and limits', () => {
  const quotas: TenantQuota[] = [{ tenant: 'a', guaranteedGpus: 16, borrowLimitGpus: 8, weight: 1 }];
  const st = cycleState(view(topo, [], { quotas }), 0, {});
  assert.equal(admitQuota(job('a-fresh', 3), st).code, 'success', 'no usage: 0 + 24 <= 24');
  assert.equal(borrowedGpus(st, 'a'), 0, 'no usage: nothing borrowed');
  assert.equal(borrowedGpus(st, 'nobody'), 0, 'unknown tenant without usage: nothing borrowed');
  const no = admitQuota(job('a-big', 4), st);
  assert.deepEqual(no, { code: 'unschedulable', plugin: 'admit/quota', reason: 'tenant a would use 32 GPUs; quota 16 + borrow 8' });
});

test('cycle: GPUs started earlier in the cycle count against the tenant\'s quota; the driver\'s usage map is trusted', () => {
  const quotas: TenantQuota[] = [{ tenant: 'a', guaranteedGpus: 16, borrowLimitGpus: 0, weight: 1 }];
  const q = [job('a1', 2), job('a2', 1, { submitSeconds: 1 })];
  assert.deepEqual(started(createScheduler('fair-share').schedule(view(topo, [], { quotas }), q, 0)), ['a1']);
  const withUsage: ClusterView = { ...view(topo, [], { quotas }), usageGpusByTenant: new Map([['a', 8]]) };
  assert.deepEqual(started(createScheduler('fair-share').schedule(withUsage, q, 0)), ['a2'], 'a already uses 8 by the driver\'s count');
});

test('cycle: a preempted job\'s GPUs on a node that is down are not handed out', () => {
  const v = view(gridTopology(1, 1, 2), [running(job('lo', 2, { priority: 0 }), [0, 1], 0)], { down: [1] });
  const ds = createScheduler('priority-preempt').schedule(v, [job('hi', 2, { priority: 9 })], 10);
  assert.deepEqual(started(ds), []);
  const one = createScheduler('priority-preempt').schedule(v, [job('hi', 1, { priority: 9 })], 10);
  assert.deepEqual(one.filter((d) => d.kind === 'start').map((d) => d.kind === 'start' && d.nodeIndices), [[0]]);
});

test('freeIndexOf: the driver\'s index is used as is; otherwise up nodes minus running jobs\' GPUs and spares', () => {
  const f = FreeIndex.empty(topo);
  assert.equal(freeIndexOf({ ...view(topo), freeIndex: f }), f);
  const v = view(topo, [running(job('r', 1, { gpusPerNode: 2 }), [3], 0, { gpuIndices: [[0, 1]] })], { down: [0], spares: [1] });
  const built = freeIndexOf(v);
  assert.deepEqual([built.isFree(0), built.isFree(1), built.isFree(2), built.freeGpus(3), built.totalFree], [false, false, true, 6, 13]);
});

test('every policy starts nothing for an empty queue', () => {
  for (const p of ['fifo', 'default']) assert.deepEqual(createScheduler(p).schedule(view(topo), [] as SchedJob[], 0), []);
});
