import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { createScheduler } from '../sched/index.ts';
import { gridTopology } from '../sched/test-cluster.ts';
import type { Decision } from '../sched/types.ts';
import { checkpointDoneFile } from './checkpoint-report.ts';
import { FakeExecutor } from './fake-executor.ts';
import { parseJobSpec } from './job-spec.ts';
import { Reconciler } from './reconciler.ts';
import { SqliteStore } from './store/sqlite.ts';

/** A reconciler on a virtual clock (`clock.now`), the fake executor, and SQLite on disk. */
async function rig(nodes: number, policy = 'priority-preempt', extra: { spares?: number; spareMinGpus?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gf-rec-'));
  const store = new SqliteStore(join(dir, 'db'));
  const executor = new FakeExecutor(Infinity);
  const clock = { now: 1_000_000 };
  const decisions: Decision[] = [];
  const topology = gridTopology(1, 1, nodes);
  const rec = new Reconciler({
    store, executor, scheduler: createScheduler(policy), topology, dataDir: dir, nowSeconds: () => clock.now,
    manualTicks: true, onDecision: (d) => decisions.push(d), ...extra,
  });
  await rec.start();
  const submit = async (name: string, over: Record<string, unknown> = {}) =>
    (await store.submitJob({ tenant: 't', spec: parseJobSpec({ name, command: ['true'], max_restarts: 1, ...over }), submitSeconds: clock.now })).job.id;
  const get = async (id: string) => (await store.getJob(id))!;
  const close = async () => { await rec.stop(); await store.close(); rmSync(dir, { recursive: true, force: true }); };
  return { dir, store, executor, clock, decisions, rec, submit, get, close, topology };
}

test('reconciler: the attempt is durable in the store before the executor launches it', async () => {
  const r = await rig(2);
  try {
    const id = await r.submit('a');
    let seenAtLaunch: string | undefined;
    r.executor.onLaunch = async (spec) => { seenAtLaunch = `${(await r.get(spec.jobId)).state}#${(await r.store.listAttempts(spec.jobId)).length}`; };
    await r.rec.tick();
    assert.equal(seenAtLaunch, 'running#1');
    const j = await r.get(id);
    assert.deepEqual([j.state, j.attempt, j.handle !== undefined], ['running', 1, true]);
    assert.equal(r.executor.launched[0]!.env['GF_CHECKPOINT_DONE_FILE'], checkpointDoneFile(r.dir, { id, tenant: 't' }), 'ranks are told where to report checkpoints');
  } finally { await r.close(); }
});

test('reconciler: a lost node requeues without counting; the job\'s own failure restarts in place, counted, until max_restarts', async () => {
  const r = await rig(2);
  try {
    const id = await r.submit('a', { max_restarts: 0 });
    await r.rec.tick();
    r.executor.fail(id, 1, 'node n0 lost (hbm)', 'n0');
    await r.rec.idle();
    assert.deepEqual([(await r.get(id)).state, (await r.get(id)).restarts], ['queued', 0]);
    await r.rec.tick();
    r.executor.fail(id, 2, 'heartbeat timeout');
    await r.rec.idle();
    const j = await r.get(id);
    assert.deepEqual([j.state, j.restarts], ['failed', 1]);
    assert.deepEqual((await r.store.listAttempts(id)).map((a) => a.outcome), ['node-lost', 'failed']);
  } finally { await r.close(); }
});

test('reconciler: a slow stop does not block scheduling; the preemptor waits only for its victim', async () => {
  const r = await rig(2);
  try {
    const low = await r.submit('low', { priority: 1, preemptible: true });
    await r.rec.tick();
    const other = await r.submit('other', { priority: 1, preemptible: false });
    await r.rec.tick();
    let release!: () => void;
    r.executor.stopGate = new Promise((ok) => { release = ok; });
    const high = await r.submit('high', { priority: 500 });
    await r.rec.decideNow();
    assert.deepEqual(r.decisions.slice(-2).map((d) => d.kind), ['preempt', 'start']);
    assert.equal(r.executor.stopped.at(-1)?.jobId, low);
    // The stop hangs. The plane keeps deciding: finishing `other` frees a node for a new job.
    r.executor.exit(other, 1, 0);
    const next = await r.submit('next', { priority: 100 });
    await r.rec.decideNow();
    await new Promise((ok) => setImmediate(ok));
    await r.rec.decideNow();
    const launchedIds = () => r.executor.launched.map((l) => l.jobId);
    for (let i = 0; i < 20 && !launchedIds().includes(next); i++) await new Promise((ok) => setImmediate(ok));
    assert.ok(launchedIds().includes(next), 'a job started while the preemption\'s stop was still running');
    assert.ok(!launchedIds().includes(high), 'the preemptor does not launch on its victim\'s node before the victim stopped');
    assert.equal((await r.get(low)).state, 'running', 'the victim holds its node until its stop is committed');
    release();
    await r.rec.idle();
    const h = await r.get(high);
    assert.equal(h.state, 'running');
    assert.deepEqual(h.nodeIndices, r.executor.launched.find((l) => l.jobId === low)!.nodeNames.map((n) => Number(n.slice(1))));
    const l = await r.get(low);
    assert.deepEqual([l.state, l.restarts], ['queued', 0]);
    assert.equal((await r.store.listAttempts(low))[0]!.outcome, 'preempted');
  } finally { await r.close(); }
});

test('reconciler: preemption takes the job that loses the least work since its last reported checkpoint', async () => {
  const r = await rig(2);
  try {
    const a = await r.submit('a', { priority: 1 });
    const b = await r.submit('b', { priority: 1 });
    await r.rec.tick();
    r.clock.now += 3600;
    // b reported a checkpoint 60 s ago; a never did (it would lose the whole hour).
    const file = checkpointDoneFile(r.dir, { id: b, tenant: 't' });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
    utimesSync(file, r.clock.now - 60, r.clock.now - 60);
    await r.submit('urgent', { priority: 900 });
    await r.rec.tick();
    const preempt = r.decisions.find((d) => d.kind === 'preempt');
    assert.equal(preempt?.jobId, b);
    assert.equal((await r.get(a)).state, 'running');
    const lost = (await r.store.listAttempts(b))[0]!.lostSeconds;
    assert.equal(lost, 60, 'the attempt records the work lost since the reported checkpoint');
    assert.equal(r.rec.reportedCheckpointSeconds(b), r.clock.now - 60);
  } finally { await r.close(); }
});

test('reconciler: a cancel stops the running gang and ends the job cancelled; a cancel while queued needs no stop', async () => {
  const r = await rig(1);
  try {
    const a = await r.submit('a');
    const b = await r.submit('b');
    await r.rec.tick();
    await r.store.requestCancel(b, r.clock.now);
    await r.store.requestCancel(a, r.clock.now);
    await r.rec.tick();
    assert.deepEqual(r.executor.stopped.map((s) => [s.jobId, s.reason]), [[a, 'cancelled by user']]);
    assert.equal((await r.get(a)).state, 'cancelled');
    assert.equal((await r.get(b)).state, 'cancelled');
  } finally { await r.close(); }
});

test('reconciler: after a control-plane restart an attempt whose processes are gone is requeued, not counted', async () => {
  const r = await rig(1);
  try {
    const a = await r.submit('a', { max_restarts: 0 });
    await r.rec.tick();
    const again = new Reconciler({ store: r.store, executor: r.executor, scheduler: createScheduler('default'), topology: r.topology, dataDir: r.dir, nowSeconds: () => r.clock.now, manualTicks: true });
    await again.start();
    const j = await r.get(a);
    assert.deepEqual([j.state, j.restarts], ['queued', 0]);
    assert.equal((await r.store.listAttempts(a))[0]!.outcome, 'lost');
  } finally { await r.close(); }
});

test('reconciler: a gang that loses a node restarts at once on the nearest hot spare, not counted', async () => {
  const r = await rig(4, 'default', { spares: 1 });
  try {
    const id = await r.submit('gang', { nodes: 2, gpus_per_node: 8, max_restarts: 0 });
    const other = await r.submit('other', { nodes: 2 });
    await r.rec.tick();
    assert.equal((await r.get(other)).state, 'queued', 'the spare (n3) is kept out of ordinary placement');
    assert.deepEqual((await r.get(id)).nodeIndices, [0, 1]);
    r.executor.down.add('n1');
    r.executor.fail(id, 1, 'node n1 lost: GPU', 'n1');
    await r.rec.idle();
    const j = await r.get(id);
    assert.deepEqual([j.state, j.attempt, j.restarts, j.nodeIndices], ['running', 2, 0, [0, 3]]);
    assert.equal(r.rec.spareSwaps, 1);
    assert.match((await r.store.listEvents(id)).map((e) => `${e.type}: ${e.message}`).join('\n'), /spare-swap: node n1 lost; restarting at once on spare n3/);
    // As in the simulator, the pool shrinks until a repair: free nodes are not taken for it, and
    // the lost node rejoins it once it is up again.
    r.executor.exit(id, 2, 0);
    await r.rec.tick();
    assert.equal((await r.get(other)).state, 'running');
    assert.ok(!(await r.get(other)).nodeIndices.includes(1), 'a node that is down is not placed');
    assert.deepEqual(r.rec.spareNodes, []);
    r.executor.down.delete('n1');
    await r.rec.tick();
    assert.deepEqual(r.rec.spareNodes, [1], 'the repaired node is the spare again');
  } finally { await r.close(); }
});

test('reconciler: an operator\'s down under a running gang is a lost node: the gang restarts at once on the hot spare, not counted', async () => {
  const r = await rig(4, 'default', { spares: 1 });
  try {
    const id = await r.submit('gang', { nodes: 3, gpus_per_node: 8, max_restarts: 0 });
    await r.rec.tick();
    assert.deepEqual((await r.get(id)).nodeIndices, [0, 1, 2]);
    await r.store.setNodeState('n1', 'down', 'PSU', r.clock.now);
    await r.rec.tick();
    const j = await r.get(id);
    assert.deepEqual([j.state, j.attempt, j.restarts, j.nodeIndices], ['running', 2, 0, [0, 3, 2]], 'the spare n3 replaces n1 at once; the job does not wait behind its own spare');
    assert.deepEqual((await r.store.listAttempts(id)).map((a) => a.outcome ?? 'running'), ['node-lost', 'running']);
    assert.equal((await r.store.listAttempts(id))[0]!.reason, 'node n1 set down: PSU');
    assert.match((await r.store.listEvents(id)).map((e) => `${e.type}: ${e.message}`).join('\n'), /spare-swap: node n1 lost; restarting at once on spare n3/);
    // Resumed, n1 is the spare again (the pool was one short).
    await r.store.setNodeState('n1', 'resume', '', r.clock.now);
    await r.rec.tick();
    assert.deepEqual(r.rec.spareNodes, [1]);
  } finally { await r.close(); }
});

test('reconciler: without a spare (or below spareMinGpus) a lost node requeues the gang', async () => {
  for (const extra of [{ spares: 0 }, { spares: 1, spareMinGpus: 64 }]) {
    const r = await rig(4, 'default', extra);
    try {
      const id = await r.submit('gang', { nodes: 2, gpus_per_node: 8 });
      await r.rec.tick();
      r.executor.fail(id, 1, 'node n0 lost', 'n0');
      await r.rec.idle();
      assert.deepEqual([(await r.get(id)).state, r.rec.spareSwaps], ['queued', 0], JSON.stringify(extra));
    } finally { await r.close(); }
  }
});

test('reconciler: a node that is down is never taken as a spare', async () => {
  const r = await rig(3, 'default', { spares: 1 });
  try {
    r.executor.down.add('n2');
    const id = await r.submit('pair', { nodes: 2 });
    await r.rec.tick();
    assert.equal((await r.get(id)).state, 'queued', 'n2 is down and n1 is the spare: no two nodes for the pair');
  } finally { await r.close(); }
});

test('reconciler: a gang the executor\'s own scheduler preempted (Slurm PREEMPTED) is requeued, not counted, no node put in repair, no restart in place', async () => {
  const r = await rig(2, 'default');
  try {
    const id = await r.submit('a', { nodes: 2, max_restarts: 0 });
    await r.rec.tick();
    r.executor.preempt(id, 1);
    await r.rec.idle();
    const j = await r.get(id);
    assert.deepEqual([j.state, j.attempt, j.restarts], ['queued', 1, 0], 'queued for the scheduler, not restarted in place, not counted');
    assert.deepEqual((await r.store.listAttempts(id)).map((a) => a.outcome), ['preempted']);
    assert.ok(!(await r.store.listEvents(id)).some((e) => e.type === 'restart-in-place'));
    await r.rec.tick();
    assert.deepEqual([(await r.get(id)).state, (await r.get(id)).attempt], ['running', 2], 'both nodes still usable: none was put in repair');
  } finally { await r.close(); }
});

test('reconciler: a fault that leaves the nodes usable restarts the gang in place at once (the lifecycle\'s recovery choice)', async () => {
  const r = await rig(4, 'default');
  try {
    const id = await r.submit('a', { nodes: 2, max_restarts: 2 });
    await r.rec.tick();
    const first = (await r.get(id)).nodeIndices;
    r.executor.exit(id, 1, 3);
    await r.rec.idle();
    const j = await r.get(id);
    assert.deepEqual([j.state, j.attempt, j.restarts, j.nodeIndices], ['running', 2, 1, first]);
    assert.ok((await r.store.listEvents(id)).some((e) => e.type === 'restart-in-place'));
  } finally { await r.close(); }
});

/**
 * A job starts; the plane is down for an hour, and its attempt failed (exit 3) 10 minutes after
 * its start; a new reconciler (at `clusterSpeed`) recovers it from the exit record.
 */
async function failedWhileDown(clusterSpeed?: number) {
  const r = await rig(1);
  const id = await r.submit('a', { max_restarts: 0 });
  await r.rec.tick();
  const started = r.clock.now;
  r.clock.now += 3600;
  const executor = Object.assign(new FakeExecutor(Infinity), {
    recover: async () => ({ state: 'finished' as const, exitCode: 3, reason: 'rank 0 exited with code 3', endSeconds: started + 600 }),
  });
  const again = new Reconciler({ store: r.store, executor, scheduler: createScheduler('default'), topology: r.topology, dataDir: r.dir, nowSeconds: () => r.clock.now, manualTicks: true, ...(clusterSpeed !== undefined ? { clusterSpeed } : {}) });
  await again.start();
  const [att] = await r.store.listAttempts(id);
  return { r, id, started, att: att! };
}

test('reconciler: with a cluster speed (up --executor sim --sim-speed 60), lost work is in cluster seconds; the store keeps wall-clock timestamps', async () => {
  const { r, started, att } = await failedWhileDown(60);
  try {
    // 10 wall minutes at 60x: 10 cluster hours of work lost; the attempt still ends at its wall-clock time.
    assert.deepEqual([att.endSeconds, att.lostSeconds], [started + 600, 600 * 60]);
  } finally { await r.close(); }
});

test('reconciler: an attempt that finished while no plane watched ends at its exit record\'s time, not at the restart (usage and lost work)', async () => {
  const { r, id, started, att } = await failedWhileDown();
  try {
    assert.deepEqual([att.outcome, att.exitCode, att.endSeconds, att.lostSeconds], ['failed', 3, started + 600, 600]);
    assert.equal((await r.get(id)).endSeconds, started + 600);
  } finally { await r.close(); }
});
