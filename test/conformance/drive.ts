// Drives one scripted scenario through the simulator (Engine, kernel clock) and through the live
// plane (Reconciler + SQLite store + fake executor, virtual clock), and returns each driver's
// decision log and job state-transition log. The live plane is ticked at the simulator's cycle
// times, and its executor reports each exit at the time the simulator finished that job and each
// node failure at its time, so any difference between the logs is a difference in the lifecycle
// or the scheduling. A start is logged with its nodes and, for a job on part of a node, its GPUs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAILURE_CATEGORIES } from '../../src/catalog/reliability.ts';
import { FakeExecutor } from '../../src/control/fake-executor.ts';
import { parseJobSpec } from '../../src/control/job-spec.ts';
import { Reconciler } from '../../src/control/reconciler.ts';
import { SqliteStore } from '../../src/control/store/sqlite.ts';
import { createScheduler } from '../../src/sched/index.ts';
import { gridTopology } from '../../src/sched/test-cluster.ts';
import type { Decision, Scheduler } from '../../src/sched/types.ts';
import { Engine } from '../../src/sim/engine.ts';
import { testOptions, trainJob, workloadOf } from '../../src/sim/test-helpers.ts';

export interface Arrival { readonly id: string; readonly at: number; readonly nodes: number; readonly gpusPerNode: number; readonly workSeconds: number; readonly priority?: number }
export interface Scenario {
  readonly policy: string;
  /** 8-GPU nodes in one leaf. */
  readonly nodes: number;
  readonly arrivals: readonly Arrival[];
  readonly cancels: readonly { readonly id: string; readonly at: number }[];
  /** Hardware failures (`gpu`); a failed node stays down for the rest of the run. */
  readonly failures: readonly { readonly node: number; readonly at: number }[];
}
export interface Logs { readonly decisions: string[]; readonly transitions: string[] }

const gpuFault = FAILURE_CATEGORIES.find((c) => c.id === 'gpu')!;

const fmt = (d: Decision, t: number): string => {
  if (d.kind !== 'start') return d.kind === 'preempt' ? `${t} preempt ${d.jobId} for ${d.forJobId}` : `${t} ${d.kind}`;
  const partial = d.gpuIndices?.some((g) => g.length < 8);
  return `${t} start ${d.jobId} [${d.nodeIndices.join(',')}]${partial ? ` gpus ${JSON.stringify(d.gpuIndices)}` : ''}`;
};

/** The simulator's logs, plus what the live plane is driven with (cycle and finish times). */
export function runSimulator(s: Scenario): Logs & { cycles: number[]; finished: { id: string; at: number }[] } {
  const decisions: string[] = [];
  const transitions: string[] = [];
  const cycles: number[] = [];
  const finished: { id: string; at: number }[] = [];
  const inner = createScheduler(s.policy);
  const scheduler: Scheduler = { name: inner.name, schedule(view, queue, now) { cycles.push(now); return inner.schedule(view, queue, now); } };
  const jobs = s.arrivals.map((a) => trainJob(a.id, a.nodes, { gpusPerNode: a.gpusPerNode, submitSeconds: a.at, priority: a.priority ?? 10, preemptible: false, workSeconds: a.workSeconds, estimatedRuntimeSeconds: a.workSeconds }));
  const base = testOptions();
  // The live plane requeues a job at once when its node is lost: no detection delay here either.
  const e = new Engine(gridTopology(1, 1, s.nodes), workloadOf(jobs), testOptions({
    policy: s.policy, checkpointMinutes: 10, failures: { ...base.failures, repairMedianSeconds: 1e9, detectionSeconds: 0 },
  }), { scheduler });
  e.onDecision = (d, t) => decisions.push(fmt(d, t));
  e.onTransition = (id, to, t, outcome) => {
    transitions.push(`${t} ${id} ${to}${outcome ? ` (${outcome})` : ''}`);
    if (to === 'succeeded') finished.push({ id, at: t });
  };
  const byId = new Map(jobs.map((j) => [j.id, e.addJob(j)]));
  for (const j of jobs) e.kernel.at(j.submitSeconds, () => e.enqueue(byId.get(j.id)!));
  for (const c of s.cancels) e.kernel.at(c.at, () => e.cancel(byId.get(c.id)!));
  for (const f of s.failures) e.kernel.at(f.at, () => e.failNode(f.node, gpuFault));
  e.kernel.run(86_400);
  return { decisions, transitions, cycles, finished };
}

/** The live plane's logs for the same scenario, driven at the simulator's times. */
export async function runLivePlane(s: Scenario, script: ReturnType<typeof runSimulator>): Promise<Logs> {
  const dir = mkdtempSync(join(tmpdir(), 'gf-conform-'));
  const store = new SqliteStore(join(dir, 'db'));
  const executor = new FakeExecutor(Infinity);
  const clock = { now: 0 };
  const decisions: string[] = [];
  const rec = new Reconciler({
    store, executor, scheduler: createScheduler(s.policy), topology: gridTopology(1, 1, s.nodes), dataDir: dir, nowSeconds: () => clock.now,
    manualTicks: true, onDecision: (d, t) => decisions.push(fmt(d, t)),
  });
  await rec.start();
  try {
    const times = [...new Set([...s.arrivals.map((a) => a.at), ...s.cancels.map((c) => c.at), ...s.failures.map((f) => f.at), ...script.cycles, ...script.finished.map((f) => f.at)])].sort((a, b) => a - b);
    const cycleAt = new Set(script.cycles);
    for (const t of times) {
      clock.now = t;
      for (const a of s.arrivals.filter((x) => x.at === t)) {
        const spec = parseJobSpec({ name: a.id, command: ['x'], nodes: a.nodes, gpus_per_node: a.gpusPerNode, priority: a.priority ?? 10, preemptible: false, estimated_runtime_seconds: a.workSeconds });
        const { job } = await store.submitJob({ tenant: 't', spec, submitSeconds: t });
        if (job.id !== a.id) throw new Error(`the store named ${a.id} ${job.id}: arrivals must be job-1, job-2, ... in order`);
      }
      for (const c of s.cancels.filter((x) => x.at === t)) await store.requestCancel(c.id, t);
      for (const f of s.failures.filter((x) => x.at === t)) {
        const name = `n${f.node}`;
        executor.down.add(name);
        for (const victim of (await store.listJobs({ states: ['running'] })).filter((j) => j.nodeIndices.includes(f.node))) executor.fail(victim.id, victim.attempt, `node ${name} lost (gpu)`, name);
      }
      for (const f of script.finished.filter((x) => x.at === t)) executor.exit(f.id, (await store.getJob(f.id))!.attempt, 0);
      await rec.idle();
      if (cycleAt.has(t)) await rec.tick();
    }
    const transitions: string[] = [];
    const to: Record<string, string> = { submitted: 'queued', started: 'running', requeued: 'queued', succeeded: 'succeeded', cancelled: 'cancelled' };
    for (const a of s.arrivals) {
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

/** A transition log in time order (ties by text), as both drivers may log one instant's changes in another order. */
export const byTime = (xs: readonly string[]): string[] => [...xs].sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]) || (a < b ? -1 : 1));
