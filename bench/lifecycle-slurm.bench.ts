// The lifecycle bench's workload side by side on the emulated Slurm cluster (prints one JSON
// object), where it fits: the same job spec (`true` on 1 whole node) from 8 concurrent clients,
// on one emulated 16-node cluster (slurmctld + a slurmd per node), twice:
//   - sbatch: 8 concurrent clients each run `sbatch` per job; Slurm places and starts them;
//   - gigafactory: 8 HTTP clients POST /v1/jobs to `up --executor slurm`; the plane places them
//     and submits with --nodelist.
// Both are measured the same way, on one clock: submit (the sbatch call, or the job's stored
// submit time) to the executor's `running` event, and the last end. The sim-executor bench
// (`npm run bench -- lifecycle`) runs 10,000 jobs on 12,500 simulated nodes; 16 real slurmd
// daemons hold 16 at a time, so this one runs LIFECYCLE_SLURM_JOBS (default 2,000) and the
// figures are bound by the cluster's size as much as by either scheduler.
// Bounded: each mode stops after 300 s and reports what finished.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../src/control/server.ts';
import { SlurmExecutor } from '../src/control/slurm/executor.ts';
import { readSlurmTopology } from '../src/control/slurm/cluster-topology.ts';
import { startLocalCluster, smallTopology, type LocalCluster } from '../src/control/slurm/local-cluster.ts';
import type { ExecutorEvent } from '../src/control/executor.ts';

const JOBS = Number(process.env.LIFECYCLE_SLURM_JOBS ?? 2000);
const CLIENTS = 8;
const NODES = 16;
const CAP_MS = 300_000;
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };
const round = (x: number, d = 2) => Number(x.toFixed(d));

interface Timing { submitMs?: number; startMs?: number; endMs?: number }

function track(ex: SlurmExecutor, timings: Map<string, Timing>): () => number {
  let ended = 0;
  ex.onEvent((e: ExecutorEvent) => {
    const t = timings.get(e.jobId) ?? {};
    timings.set(e.jobId, t);
    if (e.type === 'running') t.startMs ??= Date.now();
    if ((e.type === 'exited' || e.type === 'failed') && t.endMs === undefined) { t.endMs = Date.now(); ended++; }
  });
  return () => ended;
}

function summarize(timings: Map<string, Timing>, submitSeconds: number) {
  const all = [...timings.values()].filter((t) => t.submitMs !== undefined);
  const started = all.filter((t) => t.startMs !== undefined);
  const done = all.filter((t) => t.endMs !== undefined);
  const first = Math.min(...all.map((t) => t.submitMs!));
  const last = Math.max(...done.map((t) => t.endMs!));
  const waits = started.map((t) => t.startMs! - t.submitMs!);
  return {
    done: done.length, submitSeconds: round(submitSeconds), wallSeconds: round((last - first) / 1000),
    jobsPerSecond: round(done.length / ((last - first) / 1000), 1),
    submitToStartP50Ms: round(pct(waits, 0.5), 0), submitToStartP99Ms: round(pct(waits, 0.99), 0),
  };
}

const waitUntil = async (cond: () => boolean, deadlineMs: number) => {
  while (!cond() && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 100));
};

async function straightToSlurm(c: LocalCluster, dir: string) {
  const ex = new SlurmExecutor({ confPath: c.confPath, placement: 'slurm', extraSbatchArgs: ['--time=1'] });
  const timings = new Map<string, Timing>();
  const ended = track(ex, timings);
  const t0 = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    for (let i = next++; i < JOBS; i = next++) {
      const jobId = `b${i}`;
      timings.set(jobId, { ...timings.get(jobId), submitMs: Date.now() });
      await ex.launch({
        jobId, attempt: 1, name: `bench-${i}`, command: ['true'], workdir: dir, env: {},
        nodes: 1, ranksPerNode: 1, gpusPerNode: 0, checkpointDir: join(dir, 'ckpt'), nodeNames: [], logDir: join(dir, 'logs', jobId),
      });
    }
  }));
  const submitSeconds = (Date.now() - t0) / 1000;
  await waitUntil(() => ended() >= JOBS, t0 + CAP_MS);
  const live = (await ex.cli.jobs()).filter((j) => j.state === 'PENDING' || j.state === 'RUNNING').map((j) => j.jobId);
  await ex.cli.scancel(live);
  await ex.close();
  return summarize(timings, submitSeconds);
}

async function throughGigafactory(c: LocalCluster, dir: string) {
  const ex = new SlurmExecutor({ confPath: c.confPath, extraSbatchArgs: ['--time=1'] });
  const timings = new Map<string, Timing>();
  const ended = track(ex, timings);
  const cp = await startControlPlane({
    dataDir: join(dir, 'data'), port: 0, synchronous: 'normal', tickMs: 100, executor: ex,
    topology: await readSlurmTopology(ex.cli), singleUser: true, canSwitchUsers: false,
  });
  try {
    const t0 = Date.now();
    const client = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'control-submit-client.ts'), cp.url, cp.newAdminToken!, String(JOBS), String(CLIENTS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    client.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((r) => client.once('exit', r));
    if (code !== 0) throw new Error(`submit client exited ${code}`);
    const { seconds: submitSeconds } = JSON.parse(out) as { seconds: number };
    await waitUntil(() => ended() >= JOBS, t0 + CAP_MS);
    for (const j of await cp.store.listJobs({})) {
      const t = timings.get(j.id) ?? {};
      timings.set(j.id, { ...t, submitMs: j.submitSeconds * 1000 });
    }
    return summarize(timings, submitSeconds);
  } finally {
    await cp.close();
    const live = (await ex.cli.jobs()).filter((j) => j.state === 'PENDING' || j.state === 'RUNNING').map((j) => j.jobId);
    await ex.cli.scancel(live);
  }
}

/** Each mode gets a fresh cluster, so neither pays for the other's finished jobs in squeue. */
async function onFreshCluster<T>(run: (c: LocalCluster, dir: string) => Promise<T>): Promise<T> {
  const cluster = await startLocalCluster(smallTopology(NODES, 8, 4));
  const dir = mkdtempSync(join(tmpdir(), 'gf-bench-life-slurm-'));
  try {
    return await run(cluster, dir);
  } finally {
    await cluster.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sbatch = await onFreshCluster(straightToSlurm);
const gigafactory = await onFreshCluster(throughGigafactory);
process.stdout.write(`${JSON.stringify({ jobs: JOBS, nodes: NODES, clients: CLIENTS, job: 'true on 1 whole node', sbatch, gigafactory })}\n`);
