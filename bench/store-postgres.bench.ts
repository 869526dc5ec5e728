// PostgreSQL store bench (prints one JSON object), on a throwaway real PostgreSQL on this
// machine (src/control/store/pg-temp.ts), with fsync on ("durable": a commit is on disk when
// the call returns, like SQLite synchronous=FULL) and off (survives a server crash, not a
// power cut, like SQLite NORMAL):
// 1. Submit throughput of the store alone: one caller (each commit waits for the previous)
//    and 8 concurrent callers (what the API sees; PostgreSQL group-commits them).
// 2. Durable submits over HTTP through `startControlPlane({ store: 'postgres://...' })`,
//    8 clients, the reconciler running with the fake executor.
// 3. The reconciler tick with 10,000 queued jobs on the 12,500-node colossus-100k fleet
//    (store snapshot of queued + running jobs, schedule, decisions), p50/p99 over 20 ticks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeExecutor } from '../src/control/fake-executor.ts';
import { parseJobSpec } from '../src/control/job-spec.ts';
import { Reconciler } from '../src/control/reconciler.ts';
import { startControlPlane } from '../src/control/server.ts';
import { startTempPostgres, type TempPostgres } from '../src/control/store/pg-temp.ts';
import { PostgresStore } from '../src/control/store/postgres.ts';
import { FLEET_PRESETS } from '../src/fleet/presets.ts';
import { buildTopology } from '../src/fleet/topology.ts';
import { Rng } from '../src/lib/rng.ts';
import { createScheduler } from '../src/sched/index.ts';

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
const round = (x: number, d = 2) => Number(x.toFixed(d));
let schemas = 0;
const fresh = (pg: TempPostgres) => `${pg.url}?schema=bench_${schemas++}`;

async function storeSubmit(pg: TempPostgres, jobs: number, callers: number) {
  const store = await PostgresStore.open(fresh(pg), { maxConnections: callers });
  const spec = parseJobSpec({ name: 'bench', command: ['true'] });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: callers }, async () => {
    while (next < jobs) { const i = next++; await store.submitJob({ tenant: 't', spec, submitSeconds: i }); }
  }));
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  return { jobs, callers, jobsPerSecond: round(jobs / seconds, 0) };
}

async function httpSubmit(pg: TempPostgres, jobs: number, clients: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gf-bench-'));
  const cp = await startControlPlane({ dataDir: dir, port: 0, executor: new FakeExecutor(60_000), store: fresh(pg), localNodes: 1 });
  try {
    const body = JSON.stringify({ name: 'bench', command: ['true'], nodes: 1 });
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next++ < jobs) {
        const res = await fetch(`${cp.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${cp.newAdminToken}`, 'content-type': 'application/json' }, body });
        if (res.status !== 201) throw new Error(`submit got ${res.status}`);
        await res.arrayBuffer();
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    return { jobs, clients, jobsPerSecond: round(jobs / seconds, 0) };
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reconcilerTick(pg: TempPostgres, queued: number, ticks: number) {
  const topology = buildTopology(FLEET_PRESETS['colossus-100k']!);
  const dir = mkdtempSync(join(tmpdir(), 'gf-bench-'));
  const store = await PostgresStore.open(fresh(pg), { maxConnections: 8 });
  const rng = new Rng(7);
  const sizes = [1, 1, 2, 4, 8, 8, 16, 32, 64, 128];
  const tenants = Array.from({ length: 10 }, (_, i) => `tenant-${i}`);
  const submit = async (n: number) => {
    for (let done = 0; done < n; done += 8) {
      await Promise.all(Array.from({ length: Math.min(8, n - done) }, () => store.submitJob({
        tenant: rng.pick(tenants), submitSeconds: 0,
        spec: parseJobSpec({ name: 'bench', command: ['true'], nodes: rng.pick(sizes), gpus_per_node: 8, priority: rng.int(0, 1000), preemptible: false }),
      })));
    }
  };
  const rec = new Reconciler({ store, executor: new FakeExecutor(1e9), scheduler: createScheduler('default'), topology, dataDir: dir });
  try {
    await submit(queued);
    await rec.tick(); // fills the cluster
    const running = (await store.listJobs({ states: ['running'] })).length;
    await submit(queued - (await store.listJobs({ states: ['queued'] })).length);
    const tickMs: number[] = [];
    for (let i = 0; i < ticks; i++) {
      const t = performance.now();
      await rec.tick();
      tickMs.push(performance.now() - t);
    }
    const listT = performance.now();
    await store.listJobs({ states: ['queued', 'running'], order: 'id' });
    const listMs = performance.now() - listT;
    return { nodes: topology.nodes.length, queuedJobs: queued, runningJobs: running, ticks, tickP50Ms: round(pct(tickMs, 0.5)), tickP99Ms: round(pct(tickMs, 0.99)), listQueuedAndRunningMs: round(listMs) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const out: Record<string, unknown> = {};
for (const durable of [true, false]) {
  const pg = await startTempPostgres({ durable });
  try {
    const key = durable ? 'fsyncOn' : 'fsyncOff';
    out[key] = {
      submitStore1: await storeSubmit(pg, 1000, 1),
      submitStore8: await storeSubmit(pg, 4000, 8),
      ...(durable ? { submitHttp8: await httpSubmit(pg, 2000, 8), reconcilerTick: await reconcilerTick(pg, 10_000, 20) } : {}),
    };
  } finally { await pg.stop(); }
}
process.stdout.write(JSON.stringify(out) + '\n');
