// Renting in the live plane, on a virtual clock: a job that waits for rented nodes on their way
// says so (WaitingForRentedNodes, as Slurm's REASON column would), and a requeued job's wait for
// the rent policy counts from its requeue, as the simulator counts it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PoolSpec } from '../fleet/types.ts';
import { createScheduler } from '../sched/index.ts';
import { gridTopology } from '../sched/test-cluster.ts';
import type { Decision } from '../sched/types.ts';
import { FakeExecutor } from './fake-executor.ts';
import { parseJobSpec } from './job-spec.ts';
import { jobJson } from './api/app.ts';
import { PendingBoard } from './pending-board.ts';
import { SimulatedProvider, type ProviderClock } from './provider.ts';
import { MemoryRentalTable } from './store/rental-memory.ts';
import { Reconciler } from './reconciler.ts';
import { LiveRenting } from './renting.ts';
import { SqliteStore } from './store/sqlite.ts';

const POOL: PoolSpec = { name: 'burst', provider: 'simulated', nodeType: 'hgx-h100', maxNodes: 2, pricePerGpuHourUsd: 3, leadTimeHours: 0.25, minimumHours: 0 };

/** Two owned nodes plus the two of POOL; the plane on a virtual clock that also runs the provider's lead time. */
async function rig() {
  const dir = mkdtempSync(join(tmpdir(), 'gf-renting-reasons-'));
  const store = new SqliteStore(join(dir, 'db'));
  const executor = new FakeExecutor(Infinity);
  const owned = gridTopology(1, 1, 2);
  const topology = { ...owned, nodes: [...owned.nodes, ...[2, 3].map((index) => ({ ...owned.nodes[0]!, index, name: `burst-${index}`, pool: 'burst', rented: true, pricePerGpuHourUsd: 3 }))] };
  const timers: { at: number; fn: () => void }[] = [];
  const clock: ProviderClock & { now: number; advance(to: number): void } = {
    now: 0,
    after(seconds, fn) { const t = { at: clock.now + seconds, fn }; timers.push(t); return { cancel: () => { timers.splice(timers.indexOf(t), 1); } }; },
    advance(to) { clock.now = to; for (const t of timers.filter((x) => x.at <= to)) { timers.splice(timers.indexOf(t), 1); t.fn(); } },
  };
  const pending = new PendingBoard();
  const decisions: Decision[] = [];
  const renting = new LiveRenting(topology, { provider: new SimulatedProvider(topology, [POOL], clock), pool: POOL, queueWaitThresholdSeconds: 600, idleReleaseSeconds: 3600, rentals: new MemoryRentalTable() }, () => clock.now, () => undefined);
  const rec = new Reconciler({ store, executor, scheduler: createScheduler('priority-preempt'), topology, dataDir: dir, nowSeconds: () => clock.now, manualTicks: true, renting, pending, onDecision: (d) => decisions.push(d) });
  await rec.start();
  const submit = async (name: string, nodes: number, over: Record<string, unknown> = {}) =>
    (await store.submitJob({ tenant: 't', spec: parseJobSpec({ name, command: ['x'], nodes, gpus_per_node: 8, ...over }), submitSeconds: clock.now })).job.id;
  const close = async () => { await rec.stop(); await store.close(); rmSync(dir, { recursive: true, force: true }); };
  return { store, executor, clock, pending, decisions, rec, renting, submit, close };
}

const provisions = (ds: readonly Decision[]) => ds.filter((d) => d.kind === 'provision');

test('rent reason: a job waiting for rented nodes that are joining says WaitingForRentedNodes, then runs on them', async () => {
  const r = await rig();
  try {
    await r.submit('fills', 2);
    await r.rec.tick();
    const id = await r.submit('waits', 2);
    await r.rec.tick();
    assert.equal(r.pending.get(id)?.code, 'Resources', 'nothing asked for yet: it waits for resources');
    r.clock.advance(700);
    await r.rec.tick(); // waited 700 s > 600 s: 2 nodes asked for
    assert.deepEqual(provisions(r.decisions).map((d) => d.kind === 'provision' && d.nodes), [2]);
    assert.equal(r.pending.get(id)?.code, 'WaitingForRentedNodes', 'the cycle that asks for the nodes already says so');
    await r.rec.tick();
    assert.equal(r.renting.provisioning, 2);
    assert.equal(r.pending.get(id)?.code, 'WaitingForRentedNodes', r.pending.get(id)?.message);
    r.clock.advance(700 + 900); // the lead time: the nodes join
    await r.rec.tick();
    assert.equal((await r.store.getJob(id))!.state, 'running');
    assert.deepEqual((await r.store.getJob(id))!.nodeIndices, [2, 3]);
  } finally { await r.close(); }
});

test('rent reason: a requeued job has waited since its requeue, not since its submit', async () => {
  const r = await rig();
  try {
    const low = await r.submit('low', 2, { priority: 1 });
    await r.rec.tick();
    r.clock.advance(5000);
    await r.submit('high', 2, { priority: 100, preemptible: false });
    await r.rec.tick(); // preempts low: requeued at t=5000, submitted at t=0
    assert.equal((await r.store.getJob(low))!.state, 'queued');
    r.clock.advance(5300);
    await r.rec.tick();
    assert.equal(provisions(r.decisions).length, 0, 'waited 300 s since its requeue: below the 600 s threshold');
    r.clock.advance(5700);
    await r.rec.tick();
    assert.equal(provisions(r.decisions).length, 1, 'waited 700 s since its requeue: rents');
  } finally { await r.close(); }
});

test('rent reason: every queued job the joining nodes will serve says WaitingForRentedNodes (GET /v1/jobs), not only the head', async () => {
  const r = await rig();
  try {
    await r.submit('fills', 2);
    await r.rec.tick();
    const ids = [await r.submit('a', 1), await r.submit('b', 1), await r.submit('c', 1)];
    r.clock.advance(700);
    await r.rec.tick(); // 3 nodes wanted, the pool has 2: both asked for
    assert.deepEqual(provisions(r.decisions).map((d) => d.kind === 'provision' && d.nodes), [2]);
    const rows = await Promise.all(ids.map(async (id) => jobJson((await r.store.getJob(id))!, r.pending)));
    assert.deepEqual(rows.map((j) => j.reason_code), ['WaitingForRentedNodes', 'WaitingForRentedNodes', 'Priority'], rows.map((j) => j.reason).join('\n'));
    assert.match(rows[1]!.reason!, /2 rented node\(s\) joining, 1 of them for this job/);
    r.clock.advance(700 + 900); // they join: a and b run on them, c still waits
    await r.rec.tick();
    assert.deepEqual(await Promise.all(ids.map(async (id) => (await r.store.getJob(id))!.state)), ['running', 'running', 'queued']);
    assert.equal(r.pending.get(ids[2]!)?.code, 'Resources');
  } finally { await r.close(); }
});
