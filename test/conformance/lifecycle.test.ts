// Driver conformance: one scripted scenario through the simulator (Engine, kernel clock) and
// through the live plane (Reconciler + SQLite store + fake executor, virtual clock); the
// decision logs and the job state-transition logs must be identical. The live plane is ticked
// at the simulator's cycle times and its executor reports each exit at the time the simulator
// finished that job, so any difference is a difference in the lifecycle or the scheduling.
// Covered today: arrivals, completions, a priority preemption and the victim's requeue and
// resumption. (Node failures with spare swaps, checkpoints, cancels and renting are covered per
// driver in src/control/reconciler.test.ts, renting.test.ts and src/sim/*.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeExecutor } from '../../src/control/fake-executor.ts';
import { parseJobSpec } from '../../src/control/job-spec.ts';
import { Reconciler } from '../../src/control/reconciler.ts';
import { SqliteStore } from '../../src/control/store/sqlite.ts';
import { createScheduler } from '../../src/sched/index.ts';
import { gridTopology } from '../../src/sched/test-cluster.ts';
import type { Decision } from '../../src/sched/types.ts';
import { Engine } from '../../src/sim/engine.ts';
import { testOptions, trainJob, workloadOf } from '../../src/sim/test-helpers.ts';

interface Arrival { id: string; at: number; nodes: number; priority: number; preemptible: boolean; workSeconds: number }
const SCENARIO: Arrival[] = [
  { id: 'job-1', at: 0, nodes: 2, priority: 10, preemptible: true, workSeconds: 1000 },
  { id: 'job-2', at: 0, nodes: 2, priority: 10, preemptible: true, workSeconds: 3000 },
  { id: 'job-3', at: 500, nodes: 2, priority: 100, preemptible: false, workSeconds: 500 },
  { id: 'job-4', at: 2000, nodes: 1, priority: 10, preemptible: true, workSeconds: 100 },
];
const POLICY = 'priority-preempt';
const fmt = (d: Decision, t: number) => d.kind === 'start' ? `${t} start ${d.jobId} [${d.nodeIndices.join(',')}]`
  : d.kind === 'preempt' ? `${t} preempt ${d.jobId} for ${d.forJobId}` : `${t} ${d.kind}`;

function runSimulator() {
  const topology = gridTopology(1, 1, 4);
  const jobs = SCENARIO.map((a) => trainJob(a.id, a.nodes, { submitSeconds: a.at, priority: a.priority, preemptible: a.preemptible, workSeconds: a.workSeconds, estimatedRuntimeSeconds: a.workSeconds, checkpoints: false }));
  const e = new Engine(topology, workloadOf(jobs), testOptions({ policy: POLICY }));
  const decisions: string[] = [];
  const transitions: string[] = [];
  const cycles: number[] = [];
  const finished: { id: string; at: number }[] = [];
  e.onDecision = (d, t) => decisions.push(fmt(d, t));
  e.onTransition = (id, to, t) => { transitions.push(`${t} ${id} ${to}`); if (to === 'succeeded') finished.push({ id, at: t }); };
  e.afterCycle.push(() => cycles.push(e.now));
  for (const j of jobs) { const s = e.addJob(j); e.kernel.at(j.submitSeconds, () => e.enqueue(s)); }
  e.kernel.run(86_400);
  return { decisions, transitions, cycles, finished };
}

async function runLivePlane(script: { cycles: number[]; finished: { id: string; at: number }[] }) {
  const dir = mkdtempSync(join(tmpdir(), 'gf-conform-'));
  const store = new SqliteStore(join(dir, 'db'));
  const executor = new FakeExecutor(Infinity);
  const clock = { now: 0 };
  const decisions: string[] = [];
  const rec = new Reconciler({ store, executor, scheduler: createScheduler(POLICY), topology: gridTopology(1, 1, 4), dataDir: dir, nowSeconds: () => clock.now, manualTicks: true, onDecision: (d, t) => decisions.push(fmt(d, t)) });
  await rec.start();
  try {
    const times = [...new Set([...SCENARIO.map((a) => a.at), ...script.cycles, ...script.finished.map((f) => f.at)])].sort((a, b) => a - b);
    const cycleAt = new Set(script.cycles);
    for (const t of times) {
      clock.now = t;
      for (const a of SCENARIO.filter((x) => x.at === t)) {
        const spec = parseJobSpec({ name: a.id, command: ['x'], nodes: a.nodes, gpus_per_node: 8, priority: a.priority, preemptible: a.preemptible, estimated_runtime_seconds: a.workSeconds });
        const { job } = await store.submitJob({ tenant: 't', spec, submitSeconds: t });
        assert.equal(job.id, a.id);
      }
      for (const f of script.finished.filter((x) => x.at === t)) executor.exit(f.id, (await store.getJob(f.id))!.attempt, 0);
      await rec.idle();
      if (cycleAt.has(t)) await rec.tick();
    }
    const transitions: string[] = [];
    const to: Record<string, string> = { submitted: 'queued', started: 'running', requeued: 'queued', succeeded: 'succeeded' };
    for (const a of SCENARIO) for (const ev of await store.listEvents(a.id)) if (to[ev.type]) transitions.push(`${ev.seconds} ${a.id} ${to[ev.type]}`);
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
  assert.ok(sim.decisions.some((d) => d.includes('preempt')), 'the scenario has a preemption');
  assert.equal(sim.finished.length, SCENARIO.length, 'every job finishes in the simulator');
  const live = await runLivePlane(sim);
  if (process.env.CONFORMANCE_PRINT) console.log(JSON.stringify({ sim, live }, null, 1));
  assert.deepEqual(live.decisions, sim.decisions);
  assert.deepEqual(byTime(live.transitions), byTime(sim.transitions));
});
