// The two drivers of the driver conformance suite, over one scenario (./scenarios.ts):
// - the simulator: Engine on the kernel clock, with renting (src/sim/rent.ts) when the scenario rents;
// - the live plane: Reconciler + SQLite store + fake executor on a virtual clock, with LiveRenting
//   over the simulated provider on that same virtual clock.
// The live plane is ticked at the simulator's cycle times (and its rent checks); its executor
// reports each exit at the time the simulator finished that job, and each job reports its
// checkpoints (GF_CHECKPOINT_DONE_FILE) at the times the simulator's checkpoint model says. Any
// difference in the logs is then a difference in the lifecycle or the scheduling.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FAILURE_CATEGORIES } from '../../src/catalog/reliability.ts';
import { checkpointDoneFile } from '../../src/control/checkpoint-report.ts';
import { FakeExecutor } from '../../src/control/fake-executor.ts';
import { parseJobSpec } from '../../src/control/job-spec.ts';
import { SimulatedProvider, type ProviderClock } from '../../src/control/provider.ts';
import { Reconciler } from '../../src/control/reconciler.ts';
import { LiveRenting } from '../../src/control/renting.ts';
import { SqliteStore } from '../../src/control/store/sqlite.ts';
import { createScheduler } from '../../src/sched/index.ts';
import type { Decision } from '../../src/sched/types.ts';
import { Engine } from '../../src/sim/engine.ts';
import { RENT_CHECK_SECONDS, runRenting } from '../../src/sim/rent.ts';
import { testOptions, trainJob, workloadOf } from '../../src/sim/test-helpers.ts';
import type { Scenario } from './scenarios.ts';

/** What both drivers produce: one line per decision and per job state change, `<seconds> ...`. */
export interface Logs {
  readonly decisions: string[];
  readonly transitions: string[];
}

/** What the simulator tells the live driver: when to tick, when jobs end, when they checkpoint. */
export interface Script extends Logs {
  readonly cycles: number[];
  readonly finished: { id: string; at: number }[];
  readonly checkpoints: { id: string; at: number; seconds: number }[];
}

export const formatDecision = (d: Decision, t: number): string => {
  switch (d.kind) {
    // A job on part of a node also names its GPUs.
    case 'start': return `${t} start ${d.jobId} [${d.nodeIndices.join(',')}]${d.gpuIndices?.some((g) => g.length < 8) ? ` gpus ${JSON.stringify(d.gpuIndices)}` : ''}`;
    case 'preempt': return `${t} preempt ${d.jobId} for ${d.forJobId}`;
    case 'provision': return `${t} provision ${d.nodes} of ${d.pool} (${d.reason})`;
    case 'release': return `${t} release [${d.nodeIndices.join(',')}] of ${d.pool}`;
  }
};

const GPU_FAILURE = FAILURE_CATEGORIES.find((c) => c.id === 'gpu')!;

/** Rent checks besides those after each cycle: every RENT_CHECK_SECONDS up to the horizon. */
const rentChecks = (s: Scenario): number[] => {
  const out: number[] = [];
  if (s.rent) for (let t = RENT_CHECK_SECONDS; t < s.horizonSeconds; t += RENT_CHECK_SECONDS) out.push(t);
  return out;
};

export function runSimulator(s: Scenario): Script {
  const jobs = s.arrivals.map((a) => trainJob(a.id, a.nodes, { gpusPerNode: a.gpusPerNode ?? 8, submitSeconds: a.at, priority: a.priority, preemptible: a.preemptible, workSeconds: a.workSeconds, estimatedRuntimeSeconds: a.workSeconds }));
  const base = testOptions();
  const e = new Engine(s.topology, workloadOf(jobs), testOptions({
    policy: s.policy, days: s.horizonSeconds / 86_400, checkpointMinutes: s.checkpointMinutes, spareMinGpus: s.spares?.minGpus ?? 0,
    // Repairs take longer than the run; the live plane requeues a job at once when its node is lost: no detection delay here either.
    failures: { ...base.failures, repairMedianSeconds: 1e9, detectionSeconds: 0 },
  }));
  if (s.spares) e.addSpares(s.spares.nodes);
  const rent = s.rent ? runRenting(e, { pool: s.rent.pool, queueWaitThresholdSeconds: s.rent.queueWaitThresholdSeconds, idleReleaseSeconds: s.rent.idleReleaseSeconds }) : undefined;
  const out: Script = { decisions: [], transitions: [], cycles: [], finished: [], checkpoints: [] };
  e.onDecision = (d, t) => out.decisions.push(formatDecision(d, t));
  e.onTransition = (id, to, t, outcome) => {
    out.transitions.push(`${t} ${id} ${to}${outcome ? ` (${outcome})` : ''}`);
    if (to === 'succeeded') out.finished.push({ id, at: t });
  };
  // Each running job's last checkpoint as the scheduler is about to look (the live jobs report the same).
  e.onCycle = (now) => {
    out.cycles.push(now);
    for (const r of e.runningView) if (r.lastCheckpointSeconds !== undefined && r.lastCheckpointSeconds > r.startSeconds) out.checkpoints.push({ id: r.id, at: now, seconds: r.lastCheckpointSeconds });
  };
  const byId = new Map(jobs.map((j) => [j.id, e.addJob(j)]));
  for (const j of jobs) e.kernel.at(j.submitSeconds, () => e.enqueue(byId.get(j.id)!));
  for (const c of s.cancels ?? []) e.kernel.at(c.at, () => e.cancel(byId.get(c.id)!));
  for (const f of s.failures ?? []) e.kernel.at(f.at, () => e.failNode(f.node, GPU_FAILURE));
  e.kernel.run(s.horizonSeconds);
  rent?.finish();
  out.cycles.push(...rentChecks(s));
  return out;
}

/** A virtual clock for the live plane and its provider: timers fire when the driver moves time on. */
class VirtualClock implements ProviderClock {
  now = 0;
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  after(seconds: number, fn: () => void): { cancel(): void } {
    const t = { at: this.now + seconds, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => { t.cancelled = true; } };
  }
  /** The next time a timer is due, or Infinity. */
  get nextAt(): number { return Math.min(Infinity, ...this.timers.filter((t) => !t.cancelled).map((t) => t.at)); }
  /** Runs the timers due by now, in order. */
  fireDue(): void {
    const due = this.timers.filter((t) => !t.cancelled && t.at <= this.now).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => !due.includes(t));
    for (const t of due) t.fn();
  }
}

export async function runLivePlane(s: Scenario, script: Script): Promise<Logs> {
  const dir = mkdtempSync(join(tmpdir(), 'gf-conform-'));
  const store = new SqliteStore(join(dir, 'db'));
  const executor = new FakeExecutor(Infinity);
  const clock = new VirtualClock();
  const decisions: string[] = [];
  let kick = (): void => undefined;
  const renting = s.rent
    ? new LiveRenting(s.topology, { provider: new SimulatedProvider(s.topology, [s.rent.pool], clock), pool: s.rent.pool, queueWaitThresholdSeconds: s.rent.queueWaitThresholdSeconds, idleReleaseSeconds: s.rent.idleReleaseSeconds, rentals: store.rentals }, () => clock.now, () => kick())
    : undefined;
  const rec = new Reconciler({
    store, executor, scheduler: createScheduler(s.policy), topology: s.topology, dataDir: dir, nowSeconds: () => clock.now,
    manualTicks: true, onDecision: (d, t) => decisions.push(formatDecision(d, t)),
    ...(s.spares ? { spares: s.spares.nodes.length, spareMinGpus: s.spares.minGpus } : {}), ...(renting ? { renting } : {}),
  });
  kick = () => rec.kick();
  await rec.start();
  try {
    const cancels = s.cancels ?? [];
    const failures = s.failures ?? [];
    const known = [...new Set([...s.arrivals.map((a) => a.at), ...cancels.map((c) => c.at), ...failures.map((f) => f.at), ...script.cycles, ...script.finished.map((f) => f.at)])].sort((a, b) => a - b);
    const cycleAt = new Set(script.cycles);
    let k = 0;
    for (;;) {
      const t = Math.min(known[k] ?? Infinity, clock.nextAt);
      if (!Number.isFinite(t) || t >= s.horizonSeconds) break;
      if (known[k] === t) k++;
      clock.now = t;
      clock.fireDue(); // rented nodes join
      for (const a of s.arrivals.filter((x) => x.at === t)) {
        const spec = parseJobSpec({ name: a.id, command: ['x'], nodes: a.nodes, gpus_per_node: a.gpusPerNode ?? 8, priority: a.priority, preemptible: a.preemptible, estimated_runtime_seconds: a.workSeconds });
        assert.equal((await store.submitJob({ tenant: 't', spec, submitSeconds: t })).job.id, a.id, 'scenario job ids are job-1, job-2, ... in arrival order');
      }
      for (const c of cancels.filter((x) => x.at === t)) await store.requestCancel(c.id, t);
      for (const f of failures.filter((x) => x.at === t)) {
        const name = s.topology.nodes[f.node]!.name;
        executor.down.add(name);
        // Every job on the node is interrupted (several when sub-node jobs share it).
        for (const victim of (await store.listJobs({ states: ['running'] })).filter((j) => j.nodeIndices.includes(f.node))) executor.fail(victim.id, victim.attempt, `node ${name} lost (gpu)`, name);
      }
      for (const f of script.finished.filter((x) => x.at === t)) executor.exit(f.id, (await store.getJob(f.id))!.attempt, 0);
      for (const c of script.checkpoints.filter((x) => x.at === t)) {
        const file = checkpointDoneFile(dir, { id: c.id, tenant: 't' });
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, '');
        utimesSync(file, c.seconds, c.seconds);
      }
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

/** Transitions in time order (each driver lists them in its own order within a time). */
export const byTime = (xs: readonly string[]): string[] => [...xs].sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]) || (a < b ? -1 : 1));
