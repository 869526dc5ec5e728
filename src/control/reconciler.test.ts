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
async function rig(nodes: number, policy = 'priority-preempt') {
  const dir = mkdtempSync(join(tmpdir(), 'gf-rec-'));
  const store = new SqliteStore(join(dir, 'db'));
  const executor = new FakeExecutor(Infinity);
  const clock = { now: 1_000_000 };
  const decisions: Decision[] = [];
  const topology = gridTopology(1, 1, nodes);
  const rec = new Reconciler({
    store, executor, scheduler: createScheduler(policy), topology, dataDir: dir, nowSeconds: () => clock.now,
    manualTicks: true, onDecision: (d) => decisions.push(d),
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
    assert.equal(r.executor.launched[0]!.env['GF_CHECKPOINT_DONE_FILE'], checkpointDoneFile(r.dir, id), 'ranks are told where to report checkpoints');
  } finally { await r.close(); }
});

test('reconciler: a lost node requeues without counting, the job\'s own failure counts, and max_restarts ends it', async () => {
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
    const file = checkpointDoneFile(r.dir, b);
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
