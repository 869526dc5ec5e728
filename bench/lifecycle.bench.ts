// Lifecycle bench (prints one JSON object): the whole live lifecycle end to end on
// `up --executor sim --sim-fleet colossus-100k`: 10,000 short jobs (1 simulated second each, 1x
// speed) submitted over HTTP by 8 concurrent clients in a separate process, each followed from
// submit to done. Reports jobs/s (submit of the first to the end of the last), submit-to-start
// p50/p99 and the reconciler's decision-cycle p50/p99 (snapshot + schedule + assume). The store
// runs synchronous=NORMAL (WAL, survives SIGKILL; FULL adds an fsync per commit).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../src/control/server.ts';
import { SimCluster, SimExecutor } from '../src/control/sim/executor.ts';
import { FLEET_PRESETS } from '../src/fleet/presets.ts';
import { buildTopology } from '../src/fleet/topology.ts';

const JOBS = Number(process.env.LIFECYCLE_BENCH_JOBS ?? 10_000);
const CLIENTS = 8;
const CAP_MS = 300_000;
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };
const round = (x: number, d = 2) => Number(x.toFixed(d));

const dir = mkdtempSync(join(tmpdir(), 'gf-bench-life-'));
const cycleMs: number[] = [];
const cluster = new SimCluster({ speed: 1, failuresPer1000NodeDays: 0, defaultSeconds: 1 });
const cp = await startControlPlane({
  dataDir: dir, port: 0, synchronous: 'normal', tickMs: 100, executor: new SimExecutor(cluster),
  topology: buildTopology(FLEET_PRESETS['colossus-100k']!), onCycle: (ms) => cycleMs.push(ms),
});
try {
  const t0 = Date.now();
  const client = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'control-submit-client.ts'), cp.url, cp.newAdminToken!, String(JOBS), String(CLIENTS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  client.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((r) => client.once('exit', r));
  if (code !== 0) throw new Error(`submit client exited ${code}`);
  const { seconds: submitSeconds } = JSON.parse(out) as { seconds: number };
  let done = 0;
  while (Date.now() - t0 < CAP_MS) {
    done = (await cp.store.listJobs({ states: ['succeeded'] })).length;
    if (done >= JOBS) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const jobs = await cp.store.listJobs({ states: ['succeeded'] });
  const waitMs = jobs.map((j) => ((j.startSeconds ?? NaN) - j.submitSeconds) * 1000);
  const first = Math.min(...jobs.map((j) => j.submitSeconds));
  const last = Math.max(...jobs.map((j) => j.endSeconds ?? 0));
  process.stdout.write(JSON.stringify({
    fleet: 'colossus-100k', executor: 'sim', jobs: JOBS, done: jobs.length, clients: CLIENTS, synchronous: 'normal',
    submitSeconds: round(submitSeconds), wallSeconds: round(last - first), jobsPerSecond: round(jobs.length / (last - first), 0),
    submitToStartP50Ms: round(pct(waitMs, 0.5), 1), submitToStartP99Ms: round(pct(waitMs, 0.99), 1),
    cycles: cycleMs.length, cycleP50Ms: round(pct(cycleMs, 0.5), 1), cycleP99Ms: round(pct(cycleMs, 0.99), 1),
  }) + '\n');
} finally {
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
}
