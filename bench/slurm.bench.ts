// The same 1,000 short gang jobs (1-4 nodes, 0.2-0.8 s each, seeded) on one emulated 16-node
// Slurm cluster, twice: straight to Slurm (sbatch without --nodelist: Slurm's own backfill
// places them) and through Gigafactory (store + reconciler + its scheduler choose the nodes,
// SlurmExecutor submits with --nodelist). Both runs launch with the same sbatch script and
// are measured the same way (executor events): makespan, mean queue wait, jobs started per
// second, and each scheduler's own decisions per second of scheduling time (Slurm: sdiag).
// Queue wait runs from the moment all jobs are handed over (t0) to the job's start.
// Bounded: each mode stops after GF_BENCH_SLURM_CAP_S seconds (default 360) and says so.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, smallTopology, type LocalCluster } from '../src/control/slurm/local-cluster.ts';
import { SlurmExecutor } from '../src/control/slurm/executor.ts';
import { readSlurmTopology } from '../src/control/slurm/cluster-topology.ts';
import { Reconciler } from '../src/control/reconciler.ts';
import { SqliteStore } from '../src/control/store/sqlite.ts';
import { parseJobSpec } from '../src/control/job-spec.ts';
import { createScheduler } from '../src/sched/index.ts';
import type { Scheduler } from '../src/sched/types.ts';
import type { ExecutorEvent, LaunchSpec } from '../src/control/executor.ts';
import { Rng } from '../src/lib/rng.ts';

const JOBS = Number(process.env['GF_BENCH_SLURM_JOBS'] ?? 1000);
const NODES = 16;
const CAP_MS = Number(process.env['GF_BENCH_SLURM_CAP_S'] ?? 360) * 1000;
const POLICY = process.env['GF_BENCH_SLURM_POLICY'] ?? 'default';
/** Both schedulers get the same runtime estimate (Slurm's --time has minute granularity). */
const ESTIMATE_SECONDS = 60;

interface Job { nodes: number; seconds: number }
const rng = new Rng(42);
const workload: Job[] = Array.from({ length: JOBS }, () => ({ nodes: rng.int(1, 4), seconds: Math.round((0.2 + 0.6 * rng.next()) * 100) / 100 }));

interface Timing { submitMs: number; startMs?: number; endMs?: number; ok?: boolean }

function summarize(t: Map<string, Timing>, t0: number, wallMs: number) {
  const all = [...t.values()];
  const done = all.filter((x) => x.endMs !== undefined);
  const started = all.filter((x) => x.startMs !== undefined);
  const lastEnd = Math.max(...done.map((x) => x.endMs!));
  const waits = started.map((x) => (x.startMs! - x.submitMs) / 1000);
  return {
    jobsDone: done.length, jobsFailed: done.filter((x) => x.ok === false).length, cappedAtSeconds: done.length < all.length ? CAP_MS / 1000 : null,
    makespanSeconds: +((done.length > 0 ? lastEnd - t0 : wallMs) / 1000).toFixed(2),
    meanQueueWaitSeconds: +(waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length)).toFixed(2),
    jobsStartedPerSecond: +(started.length / (wallMs / 1000)).toFixed(2),
  };
}

function trackEvents(ex: SlurmExecutor, timings: Map<string, Timing>, onEnd: () => void): void {
  ex.onEvent((e: ExecutorEvent) => {
    const t = timings.get(e.jobId);
    if (t === undefined) return;
    if (e.type === 'running') t.startMs ??= Date.now();
    if (e.type === 'exited' || e.type === 'failed') { t.endMs = Date.now(); t.ok = e.type === 'exited' && e.exitCode === 0; onEnd(); }
  });
}

const waitUntil = async (cond: () => boolean, deadlineMs: number) => {
  while (!cond() && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 50));
};

/** Slurm's own scheduling work from sdiag: main and backfill cycles (microseconds) and jobs started. */
function sdiag(conf: string): { cycleSeconds: number; jobsStarted: number; backfilled: number } {
  const text = execFileSync('sdiag', [], { env: { ...process.env, SLURM_CONF: conf }, encoding: 'utf8' });
  const [main = '', bf = ''] = text.split(/Backfilling stats/);
  const field = (s: string, name: string) => Number(new RegExp(`${name}:\\s*(\\d+)`).exec(s)?.[1] ?? 0);
  const mainPart = main.split(/Main schedule statistics/)[1] ?? '';
  const cycleUs = field(mainPart, 'Total cycles') * field(mainPart, 'Mean cycle') + field(bf, 'Total cycles') * field(bf, 'Mean cycle');
  return { cycleSeconds: cycleUs / 1e6, jobsStarted: field(text, 'Jobs started'), backfilled: field(bf, 'Total backfilled jobs \\(since last slurm start\\)') };
}

function spec(i: number, dir: string): LaunchSpec {
  const j = workload[i]!;
  return {
    jobId: `b${i}`, attempt: 1, name: `bench-${i}`, command: ['sleep', String(j.seconds)], workdir: dir, env: {},
    nodes: j.nodes, ranksPerNode: 1, gpusPerNode: 8, checkpointDir: join(dir, 'ckpt'), nodeNames: [], logDir: join(dir, 'logs', `b${i}`),
  };
}

async function straightToSlurm(c: LocalCluster, dir: string) {
  execFileSync('sdiag', ['--reset'], { env: { ...process.env, SLURM_CONF: c.confPath } });
  const ex = new SlurmExecutor({ confPath: c.confPath, placement: 'slurm', extraSbatchArgs: [`--time=${ESTIMATE_SECONDS / 60}`] });
  const timings = new Map<string, Timing>();
  let ended = 0;
  trackEvents(ex, timings, () => { ended++; });
  const t0 = Date.now();
  // Queue wait counts from t0 in both modes: the user hands over all jobs at once; the time
  // sbatch itself takes for the later ones is part of their wait.
  for (let i = 0; i < JOBS; i++) {
    timings.set(`b${i}`, { submitMs: t0 });
    await ex.launch(spec(i, dir));
  }
  const submitSeconds = (Date.now() - t0) / 1000;
  await waitUntil(() => ended >= JOBS, t0 + CAP_MS);
  const wallMs = Date.now() - t0;
  const d = sdiag(c.confPath);
  await cancelAll(ex);
  await ex.close();
  return { ...summarize(timings, t0, wallMs), schedulerDecisionsPerSecond: +(d.jobsStarted / Math.max(1e-6, d.cycleSeconds)).toFixed(0), schedulerSeconds: +d.cycleSeconds.toFixed(3), backfilledJobs: d.backfilled, submitSeconds: +submitSeconds.toFixed(2) };
}

async function throughGigafactory(c: LocalCluster, dir: string) {
  const ex = new SlurmExecutor({ confPath: c.confPath, extraSbatchArgs: [`--time=${ESTIMATE_SECONDS / 60}`] });
  const topology = await readSlurmTopology(ex.cli);
  const store = new SqliteStore(join(dir, 'gf.db'), { synchronous: 'normal' });
  // Times the scheduler core itself: decisions per second of scheduling time.
  const inner = createScheduler(POLICY);
  let schedMs = 0;
  let decisions = 0;
  const scheduler: Scheduler = {
    name: inner.name,
    schedule(view, queue, now) {
      const t = performance.now();
      const d = inner.schedule(view, queue, now);
      schedMs += performance.now() - t;
      decisions += d.filter((x) => x.kind === 'start').length;
      return d;
    },
  };
  const reconciler = new Reconciler({ store, executor: ex, scheduler, topology, dataDir: join(dir, 'data'), tickMs: 100 });
  const timings = new Map<string, Timing>();
  let ended = 0;
  const t0 = Date.now();
  for (let i = 0; i < JOBS; i++) {
    const j = workload[i]!;
    const { job } = await store.submitJob({ tenant: 'bench', submitSeconds: Date.now() / 1000, spec: parseJobSpec({ name: `bench-${i}`, nodes: j.nodes, gpus_per_node: 8, workdir: dir, command: ['sleep', String(j.seconds)], max_restarts: 0, estimated_runtime_seconds: ESTIMATE_SECONDS }) });
    timings.set(job.id, { submitMs: t0 });
  }
  const submitSeconds = (Date.now() - t0) / 1000;
  trackEvents(ex, timings, () => { ended++; });
  await reconciler.start();
  await waitUntil(() => ended >= JOBS, t0 + CAP_MS);
  const wallMs = Date.now() - t0;
  await reconciler.stop();
  await cancelAll(ex);
  await ex.close();
  await store.close();
  return { ...summarize(timings, t0, wallMs), schedulerDecisionsPerSecond: +(decisions / Math.max(1e-9, schedMs / 1000)).toFixed(0), schedulerSeconds: +(schedMs / 1000).toFixed(3), submitSeconds: +submitSeconds.toFixed(2), policy: POLICY };
}

async function cancelAll(ex: SlurmExecutor): Promise<void> {
  const live = (await ex.cli.jobs()).filter((j) => j.state === 'PENDING' || j.state === 'RUNNING').map((j) => j.jobId);
  await ex.cli.scancel(live);
}

/** Each mode gets a fresh cluster, so neither pays for the other's finished jobs in squeue. */
async function onFreshCluster<T>(run: (c: LocalCluster, dir: string) => Promise<T>): Promise<T> {
  const cluster = await startLocalCluster(smallTopology(NODES, 8, 4));
  const dir = mkdtempSync(join(tmpdir(), 'gf-bench-slurm-'));
  try {
    return await run(cluster, dir);
  } finally {
    await cluster.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

const slurm = await onFreshCluster(straightToSlurm);
const gigafactory = await onFreshCluster(throughGigafactory);
process.stdout.write(`${JSON.stringify({ jobs: JOBS, nodes: NODES, gpusPerNode: 8, jobNodes: '1-4', jobSeconds: '0.2-0.8', slurm, gigafactory })}\n`);
