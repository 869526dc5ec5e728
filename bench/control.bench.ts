// Control-plane bench (prints one JSON object):
// 1. Durable submit throughput: jobs/s accepted over HTTP and committed to SQLite (WAL,
//    synchronous=FULL: fsync per commit; and NORMAL: survives SIGKILL, not power loss), with
//    8 concurrent clients (a separate process) and the reconciler running; plus the store alone, no HTTP, with one
//    client (one fsync per job) and 8 (group commit: one fsync per batch).
// 2. Scheduling-cycle latency with 10,000 queued jobs against the 12,500-node colossus-100k
//    fleet, the cluster full of running jobs: scheduler.schedule() alone and the whole
//    reconciler tick (store snapshot + schedule + decisions), p50/p99 over 40 cycles.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeExecutor } from '../src/control/fake-executor.ts';
import { parseJobSpec } from '../src/control/job-spec.ts';
import { Reconciler } from '../src/control/reconciler.ts';
import { startControlPlane } from '../src/control/server.ts';
import { SqliteStore } from '../src/control/store/sqlite.ts';
import { FLEET_PRESETS } from '../src/fleet/presets.ts';
import { buildTopology } from '../src/fleet/topology.ts';
import { Rng } from '../src/lib/rng.ts';
import { createScheduler } from '../src/sched/index.ts';
import type { Scheduler } from '../src/sched/types.ts';

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
const round = (x: number, d = 2) => Number(x.toFixed(d));

async function httpSubmit(synchronous: 'full' | 'normal', jobs: number, clients: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gf-bench-'));
  const cp = await startControlPlane({ dataDir: dir, port: 0, executor: new FakeExecutor(60_000), synchronous, localNodes: 1 });
  try {
    const client = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'control-submit-client.ts'), cp.url, cp.newAdminToken!, String(jobs), String(clients)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    client.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((r) => client.once('exit', r));
    if (code !== 0) throw new Error(`submit client exited ${code}`);
    const { seconds } = JSON.parse(out) as { seconds: number };
    return { jobs, clients, seconds: round(seconds), jobsPerSecond: round(jobs / seconds, 0) };
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The store alone: `clients` submitters each awaiting its own commit (group commit batches them). */
async function storeSubmit(synchronous: 'full' | 'normal', jobs: number, clients: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gf-bench-'));
  const store = new SqliteStore(join(dir, 'db'), { synchronous });
  const spec = parseJobSpec({ name: 'bench', command: ['true'] });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < jobs) await store.submitJob({ tenant: 't', spec, submitSeconds: next++ });
  }));
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { jobs, clients, jobsPerSecond: round(jobs / seconds, 0) };
}

async function schedulingCycle(queued: number, cycles: number) {
  const topology = buildTopology(FLEET_PRESETS['colossus-100k']!);
  const dir = mkdtempSync(join(tmpdir(), 'gf-bench-'));
  const store = new SqliteStore(join(dir, 'db'), { synchronous: 'normal' });
  const rng = new Rng(7);
  const sizes = [1, 1, 2, 4, 8, 8, 16, 32, 64, 128];
  const tenants = Array.from({ length: 10 }, (_, i) => `tenant-${i}`);
  const submit = (n: number) => Promise.all(Array.from({ length: n }, () => store.submitJob({
    tenant: rng.pick(tenants), submitSeconds: 0,
    spec: parseJobSpec({ name: 'bench', command: ['true'], nodes: rng.pick(sizes), gpus_per_node: 8, priority: rng.int(0, 1000), preemptible: false }),
  })));
  const inner = createScheduler('default');
  const scheduleMs: number[] = [];
  const scheduler: Scheduler = {
    name: inner.name,
    schedule: (view, queue, now) => { const t = performance.now(); const d = inner.schedule(view, queue, now); scheduleMs.push(performance.now() - t); return d; },
  };
  const rec = new Reconciler({ store, executor: new FakeExecutor(1e9), scheduler, topology, dataDir: dir });
  // Fill the cluster, then top the queue up to `queued` jobs.
  await submit(queued);
  await rec.tick();
  const running = (await store.listJobs({ states: ['running'] })).length;
  const missing = queued - (await store.listJobs({ states: ['queued'] })).length;
  await submit(missing);
  scheduleMs.length = 0;
  const tickMs: number[] = [];
  for (let i = 0; i < cycles; i++) {
    const t = performance.now();
    await rec.tick();
    tickMs.push(performance.now() - t);
  }
  const stillQueued = (await store.listJobs({ states: ['queued'] })).length;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    nodes: topology.nodes.length, queuedJobs: stillQueued, runningJobs: running, cycles, policy: inner.name,
    scheduleP50Ms: round(pct(scheduleMs, 0.5)), scheduleP99Ms: round(pct(scheduleMs, 0.99)),
    tickP50Ms: round(pct(tickMs, 0.5)), tickP99Ms: round(pct(tickMs, 0.99)),
  };
}

// CONTROL_BENCH_ONLY=schedulingCycle (comma-separated) runs a subset.
const only = process.env.CONTROL_BENCH_ONLY?.split(',');
const parts: Record<string, () => Promise<unknown>> = {
  submitHttpFull: () => httpSubmit('full', 2000, 8),
  submitHttpNormal: () => httpSubmit('normal', 2000, 8),
  submitStoreFull: () => storeSubmit('full', 2000, 1),
  submitStoreFull8: () => storeSubmit('full', 4000, 8),
  submitStoreNormal: () => storeSubmit('normal', 5000, 1),
  schedulingCycle: () => schedulingCycle(10_000, 40),
};
const out: Record<string, unknown> = {};
for (const [name, run] of Object.entries(parts)) if (!only || only.includes(name)) out[name] = await run();
process.stdout.write(JSON.stringify(out) + '\n');
