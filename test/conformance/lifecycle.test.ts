// Driver conformance: one scripted scenario through the simulator (Engine, kernel clock) and
// through the live plane (Reconciler + SQLite store + fake executor, virtual clock); the
// decision logs and the job state-transition logs (with each attempt's outcome) must be
// identical. The live plane is ticked at the simulator's cycle times; its executor reports each
// exit at the time the simulator finished that job, and each job reports its checkpoints
// (GF_CHECKPOINT_DONE_FILE) at the times the simulator's checkpoint model says. Any difference
// is then a difference in the lifecycle or the scheduling.
// Covered: arrivals, completions, a node failure under a gang swapped for the hot spare (a
// new attempt at once, not counted), checkpoints, a checkpoint-aware preemption (the job that
// checkpointed loses least and is taken, though it started first), the victim's requeue and
// resumption, a cancel while queued and a cancel while running. Renting is covered per driver
// (src/control/renting.test.ts, src/sim/*.test.ts), not yet here.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { checkpointDoneFile } from '../../src/control/checkpoint-report.ts';
import { FakeExecutor } from '../../src/control/fake-executor.ts';
import { parseJobSpec } from '../../src/control/job-spec.ts';
import { Reconciler } from '../../src/control/reconciler.ts';
import { SqliteStore } from '../../src/control/store/sqlite.ts';
import { createScheduler } from '../../src/sched/index.ts';
import { gridTopology } from '../../src/sched/test-cluster.ts';
import type { Decision, Scheduler } from '../../src/sched/types.ts';
import { FAILURE_CATEGORIES } from '../../src/catalog/reliability.ts';
import { Engine } from '../../src/sim/engine.ts';
import { testOptions, trainJob, workloadOf } from '../../src/sim/test-helpers.ts';

interface Arrival { id: string; at: number; nodes: number; priority: number; preemptible: boolean; workSeconds: number }
const ARRIVALS: Arrival[] = [
  { id: 'job-1', at: 0, nodes: 2, priority: 10, preemptible: true, workSeconds: 3000 },
  { id: 'job-2', at: 100, nodes: 2, priority: 10, preemptible: true, workSeconds: 3000 },
  // job-1 checkpointed at ~10 min, job-2 not yet: job-1 loses least and is preempted.
  { id: 'job-3', at: 700, nodes: 2, priority: 100, preemptible: false, workSeconds: 500 },
  { id: 'job-4', at: 800, nodes: 1, priority: 10, preemptible: true, workSeconds: 100 },
  { id: 'job-5', at: 1000, nodes: 1, priority: 10, preemptible: true, workSeconds: 200 },
];
const CANCELS = [{ id: 'job-4', at: 900 }, { id: 'job-2', at: 1500 }];
/** Node 2 (under job-2) is lost at t=300; node 4 is the hot spare. Repairs take longer than the run. */
const FAILURE = { node: 2, at: 300 };
const NODES = 5;
const SPARE = 4;
const POLICY = 'priority-preempt';
const fmt = (d: Decision, t: number) => d.kind === 'start' ? `${t} start ${d.jobId} [${d.nodeIndices.join(',')}]`
  : d.kind === 'preempt' ? `${t} preempt ${d.jobId} for ${d.forJobId}` : `${t} ${d.kind}`;

function runSimulator() {
  const topology = gridTopology(1, 1, NODES);
  const jobs = ARRIVALS.map((a) => trainJob(a.id, a.nodes, { submitSeconds: a.at, priority: a.priority, preemptible: a.preemptible, workSeconds: a.workSeconds, estimatedRuntimeSeconds: a.workSeconds }));
  const base = testOptions();
  const decisions: string[] = [];
  const transitions: string[] = [];
  const cycles: number[] = [];
  const finished: { id: string; at: number }[] = [];
  const checkpoints: { id: string; at: number; seconds: number }[] = [];
  // What each running job's last checkpoint is when the scheduler looks (the live jobs report the same).
  const inner: Scheduler = createScheduler(POLICY);
  const scheduler: Scheduler = {
    name: inner.name,
    schedule(view, queue, now) {
      cycles.push(now);
      for (const r of view.running) if (r.lastCheckpointSeconds !== undefined && r.lastCheckpointSeconds > r.startSeconds) checkpoints.push({ id: r.id, at: now, seconds: r.lastCheckpointSeconds });
      return inner.schedule(view, queue, now);
    },
  };
  const e = new Engine(topology, workloadOf(jobs), testOptions({ policy: POLICY, checkpointMinutes: 10, spareMinGpus: 16, failures: { ...base.failures, repairMedianSeconds: 1e9 } }), { scheduler });
  e.addSpares([SPARE]);
  e.onDecision = (d, t) => decisions.push(fmt(d, t));
  e.onTransition = (id, to, t, outcome) => {
    transitions.push(`${t} ${id} ${to}${outcome ? ` (${outcome})` : ''}`);
    if (to === 'succeeded') finished.push({ id, at: t });
  };
  const byId = new Map(jobs.map((j) => [j.id, e.addJob(j)]));
  for (const j of jobs) e.kernel.at(j.submitSeconds, () => e.enqueue(byId.get(j.id)!));
  for (const c of CANCELS) e.kernel.at(c.at, () => e.cancel(byId.get(c.id)!));
  e.kernel.at(FAILURE.at, () => e.failNode(FAILURE.node, FAILURE_CATEGORIES.find((c) => c.id === 'gpu')!));
  e.kernel.run(86_400);
  return { decisions, transitions, cycles, finished, checkpoints };
}

async function runLivePlane(script: ReturnType<typeof runSimulator>) {
  const dir = mkdtempSync(join(tmpdir(), 'gf-conform-'));
  const store = new SqliteStore(join(dir, 'db'));
  const executor = new FakeExecutor(Infinity);
  const clock = { now: 0 };
  const decisions: string[] = [];
  const rec = new Reconciler({
    store, executor, scheduler: createScheduler(POLICY), topology: gridTopology(1, 1, NODES), dataDir: dir, nowSeconds: () => clock.now,
    manualTicks: true, onDecision: (d, t) => decisions.push(fmt(d, t)), spares: 1, spareMinGpus: 16,
  });
  await rec.start();
  try {
    const times = [...new Set([...ARRIVALS.map((a) => a.at), ...CANCELS.map((c) => c.at), FAILURE.at, ...script.cycles, ...script.finished.map((f) => f.at)])].sort((a, b) => a - b);
    const cycleAt = new Set(script.cycles);
    for (const t of times) {
      clock.now = t;
      for (const a of ARRIVALS.filter((x) => x.at === t)) {
        const spec = parseJobSpec({ name: a.id, command: ['x'], nodes: a.nodes, gpus_per_node: 8, priority: a.priority, preemptible: a.preemptible, estimated_runtime_seconds: a.workSeconds });
        assert.equal((await store.submitJob({ tenant: 't', spec, submitSeconds: t })).job.id, a.id);
      }
      for (const c of CANCELS.filter((x) => x.at === t)) await store.requestCancel(c.id, t);
      if (FAILURE.at === t) {
        const name = `n${FAILURE.node}`;
        executor.down.add(name);
        const victim = (await store.listJobs({ states: ['running'] })).find((j) => j.nodeIndices.includes(FAILURE.node))!;
        executor.fail(victim.id, victim.attempt, `node ${name} lost (gpu)`, name);
      }
      for (const f of script.finished.filter((x) => x.at === t)) executor.exit(f.id, (await store.getJob(f.id))!.attempt, 0);
      for (const k of script.checkpoints.filter((x) => x.at === t)) {
        const file = checkpointDoneFile(dir, { id: k.id, tenant: 't' });
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, '');
        utimesSync(file, k.seconds, k.seconds);
      }
      await rec.idle();
      if (cycleAt.has(t)) await rec.tick();
    }
    const transitions: string[] = [];
    const to: Record<string, string> = { submitted: 'queued', started: 'running', requeued: 'queued', succeeded: 'succeeded', cancelled: 'cancelled' };
    for (const a of ARRIVALS) {
      for (const ev of await store.listEvents(a.id)) {
        if (!to[ev.type]) continue;
        const outcome = ev.type === 'requeued' ? ` (${/attempt \d+ (\S+):/.exec(ev.message)?.[1]})` : '';
        transitions.push(`${ev.seconds} ${a.id} ${to[ev.type]}${outcome}`);
      }
    }
    return { decisions, transitions };
  } finally {
    await rec.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const byTime = (xs: string[]) => [...xs].sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]) || (a < b ? -1 : 1));

test('conformance: the simulator and the live plane make the same decisions and the same state transitions', async () => {
  const sim = runSimulator();
  assert.ok(sim.decisions.includes('700 preempt job-1 for job-3'), `the checkpoint decides the victim: ${sim.decisions.join('; ')}`);
  assert.ok(sim.transitions.includes('300 job-2 queued (node-lost)') && sim.transitions.includes('300 job-2 running'), 'the spare swap restarts job-2 at once');
  assert.ok(sim.transitions.some((t) => t.endsWith('job-4 cancelled')) && sim.transitions.some((t) => t.endsWith('job-2 cancelled')), 'both cancels happen');
  const live = await runLivePlane(sim);
  if (process.env.CONFORMANCE_PRINT) console.log(JSON.stringify({ sim, live }, null, 1));
  assert.deepEqual(live.decisions, sim.decisions);
  assert.deepEqual(byTime(live.transitions), byTime(sim.transitions));
});
