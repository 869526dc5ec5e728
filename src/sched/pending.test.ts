import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, SCHEDULER_POLICIES } from './index.ts';
import { gridTopology, job, range, running, view } from './test-cluster.ts';
import type { ClusterView, PendingReason, SchedJob } from './types.ts';

const topo = gridTopology(2, 2, 4); // 16 nodes
const explain = (policy: string, v: ClusterView, q: SchedJob[], now = 10): ReadonlyMap<string, PendingReason> =>
  createScheduler(policy).scheduleExplained!(v, q, now).pending;
const codes = (m: ReadonlyMap<string, PendingReason>): Record<string, string> => Object.fromEntries([...m].map(([id, r]) => [id, r.code]));

test('pending: the blocked head waits for Resources with its reservation; the jobs behind it for Priority', () => {
  // r holds 10 nodes until t=100: a 10-node head fits then.
  const r = running(job('r', 10, { estimatedRuntimeSeconds: 100 }), range(0, 10), 0);
  const q = [job('head', 10), job('next', 1, { submitSeconds: 1 })];
  const p = explain('fifo', view(topo, [r]), q);
  assert.deepEqual(codes(p), { head: 'Resources', next: 'Priority' });
  assert.equal(p.get('head')!.estimatedStartSeconds, 100, 'the backfill reservation: when r ends');
  assert.equal(p.get('next')!.estimatedStartSeconds, undefined, 'only the head gets an estimate');
  assert.match(p.get('next')!.message, /behind head/);
  assert.match(p.get('head')!.message, /10 node\(s\) x 8 GPU\(s\)/);
});

test('pending: no running job has an estimate: the head has no estimated start', () => {
  const p = explain('fifo', view(topo, [running(job('r', 10), range(0, 10), 0)]), [job('head', 10)]);
  assert.equal(p.get('head')!.code, 'Resources');
  assert.equal('estimatedStartSeconds' in p.get('head')!, false);
});

test('pending: backfill: a job that would delay the reservation waits for Priority; one that fits the hole starts', () => {
  const r = running(job('r', 10, { estimatedRuntimeSeconds: 100 }), range(0, 10), 0);
  const q = [job('head', 16), job('long', 2, { submitSeconds: 1, estimatedRuntimeSeconds: 500 }), job('short', 2, { submitSeconds: 2, estimatedRuntimeSeconds: 50 })];
  const { decisions, pending } = createScheduler('backfill').scheduleExplained!(view(topo, [r]), q, 10);
  assert.deepEqual(decisions.map((d) => d.kind === 'start' && d.jobId), ['short']);
  assert.deepEqual(codes(pending), { head: 'Resources', long: 'Priority' });
  assert.match(pending.get('long')!.message, /reserved start of head/);
});

test('pending: quota refusal is QuotaExceeded, with the quota in the words', () => {
  const quotas = [{ tenant: 'a', guaranteedGpus: 16, borrowLimitGpus: 0, weight: 1 }];
  const p = explain('fair-share', view(topo, [], { quotas }), [job('big', 4)]);
  assert.deepEqual(codes(p), { big: 'QuotaExceeded' });
  assert.match(p.get('big')!.message, /quota 16/);
});

test('pending: more nodes than are in service is NodeDown; busy nodes is Resources (rented nodes on the way: lifecycle/rent-wait.ts)', () => {
  assert.deepEqual(codes(explain('fifo', view(topo, [], { down: range(0, 4) }), [job('j', 13)])), { j: 'NodeDown' });
  assert.deepEqual(codes(explain('fifo', view(topo, [], { down: range(0, 4) }), [job('j', 12)])), {}, '12 up: it starts');
  const busy = view(topo, [running(job('r', 10), range(0, 10), 0)]);
  assert.deepEqual(codes(explain('fifo', busy, [job('j', 8)])), { j: 'Resources' });
});

test('pending: fair share skips what does not fit; each job that waits says Resources, only the first gets an estimate', () => {
  const r = running(job('r', 12, { estimatedRuntimeSeconds: 100 }), range(0, 12), 0);
  const p = explain('fair-share', view(topo, [r]), [job('a', 8), job('b', 6, { submitSeconds: 1 }), job('c', 2, { submitSeconds: 2 })]);
  assert.deepEqual(codes(p), { a: 'Resources', b: 'Resources' });
  assert.equal(p.get('a')!.estimatedStartSeconds, 100);
  assert.equal(p.get('b')!.estimatedStartSeconds, undefined);
});

test('pending: explained decisions equal schedule()\'s in every policy, and every job not started has a reason', () => {
  const quotas = [{ tenant: 'a', guaranteedGpus: 64, borrowLimitGpus: 16, weight: 1 }, { tenant: 'b', guaranteedGpus: 64, borrowLimitGpus: 0, weight: 1 }];
  const run = [running(job('r1', 6, { estimatedRuntimeSeconds: 50 }), range(0, 6), 0), running(job('r2', 4, { tenant: 'b', priority: 3 }), range(6, 10), 0)];
  const q = [job('x', 4), job('y', 8, { tenant: 'b', submitSeconds: 1 }), job('z', 3, { priority: 5, submitSeconds: 2, estimatedRuntimeSeconds: 10 }), job('w', 20, { submitSeconds: 3 })];
  for (const policy of SCHEDULER_POLICIES) {
    const v = view(topo, run, { quotas });
    const s = createScheduler(policy);
    const { decisions, pending } = s.scheduleExplained!(v, q, 5);
    assert.deepEqual(decisions, s.schedule(v, q, 5), policy);
    const started = new Set(decisions.flatMap((d) => (d.kind === 'start' ? [d.jobId] : [])));
    for (const j of q) assert.equal(pending.has(j.id), !started.has(j.id), `${policy}: ${j.id}`);
  }
});

test('pending: a job that needs the nodes held as hot spares says so: Resources, naming the spares, not "not enough free now"', () => {
  const v: ClusterView = { ...view(topo, [], { down: range(0, 2) }), spareNodes: [14, 15] };
  const p = explain('fifo', v, [job('j', 13)]);
  assert.deepEqual(codes(p), { j: 'Resources' });
  assert.match(p.get('j')!.message, /only 12 node\(s\) in service outside the 2 hot spare\(s\)/);
  assert.deepEqual(codes(explain('fifo', v, [job('j', 12)])), {}, '12 in service outside the spares: it starts');
  const busy: ClusterView = { ...view(topo, [running(job('r', 10), range(0, 10), 0)]), spareNodes: [15] };
  assert.match(explain('fifo', busy, [job('j', 8)]).get('j')!.message, /not enough free now/, 'spares are not the reason when busy nodes are');
});
