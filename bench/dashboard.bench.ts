// Dashboard, /metrics and CLI start bench (prints one JSON object):
// 1. The control plane over the simulator's executor on colossus-100k (12,500 nodes) with
//    10,000 jobs in the store (submitted through the store, scheduled by the reconciler: the
//    cluster fills, the rest queue). First page load = the page's HTML, its scripts and styles,
//    and its first data call, sequential over HTTP with a session cookie; median of 5.
// 2. GET /metrics at that size, median of 5.
// 3. `gigafactory --version` (the ahead-of-time bundle) against `node -e 0` and against the
//    TypeScript run through tsx, median of 7 runs each.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJobSpec } from '../src/control/job-spec.ts';
import { SimCluster, SimExecutor } from '../src/control/sim/executor.ts';
import { FLEET_PRESETS } from '../src/fleet/presets.ts';
import { buildTopology } from '../src/fleet/topology.ts';
import { Rng } from '../src/lib/rng.ts';
import { startDashboardPlane } from '../src/web/start.ts';

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const round = (x: number, d = 3) => Number(x.toFixed(d));
const ROOT = join(import.meta.dirname, '..');

async function timed(fn: () => Promise<unknown>, runs: number): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = performance.now(); await fn(); t.push((performance.now() - t0) / 1000); }
  return round(median(t));
}

function startSeconds(cmd: string, args: string[], env: Record<string, string> = {}): number {
  const t: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    t.push((performance.now() - t0) / 1000);
  }
  return round(median(t));
}

const dir = mkdtempSync(join(tmpdir(), 'gf-bench-dash-'));
const topology = buildTopology(FLEET_PRESETS['colossus-100k']!);
const cp = await startDashboardPlane({ dataDir: dir, port: 0, synchronous: 'normal', executor: new SimExecutor(new SimCluster({ speed: 1, failuresPer1000NodeDays: 0 })), topology, sampleEveryMs: 5000 });
const out: Record<string, unknown> = {};
try {
  const rng = new Rng(7);
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) {
    const spec = parseJobSpec({ name: `bench-${i}`, command: ['python3', 'train.py'], nodes: rng.int(1, 4), gpus_per_node: 8, ranks_per_node: 8, env: { GF_SIM_SECONDS: '1000000' } });
    await cp.store.submitJob({ tenant: i % 3 === 0 ? 'alice' : 'admin', spec, submitSeconds: Date.now() / 1000 });
  }
  cp.reconciler.kick();
  await new Promise((r) => setTimeout(r, 200));
  await cp.reconciler.idle();
  const running = (await cp.store.listJobs({ states: ['running'] })).length;
  out.setup = { jobs: 10_000, running, queued: 10_000 - running, nodes: topology.nodes.length, seconds: round((performance.now() - t0) / 1000, 1) };

  const login = await fetch(`${cp.url}/login`, { method: 'POST', body: new URLSearchParams({ token: cp.newAdminToken! }), redirect: 'manual' });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const get = async (path: string) => { const r = await fetch(cp.url + path, { headers: { cookie } }); if (r.status !== 200) throw new Error(`${path}: ${r.status}`); return r.text(); };
  const statics = ['/ui/static/uplot.js', '/ui/static/uplot.css', '/ui/static/app.js', '/ui/static/app.css'];
  const pageLoad = (path: string, data: string[]) => timed(async () => { await get(path); for (const s of statics) await get(s); for (const d of data) await get(d); }, 5);
  out.firstPageLoadSeconds = {
    fleet: await pageLoad('/fleet', ['/ui/api/fleet']),
    jobs: await pageLoad('/jobs', ['/ui/api/jobs']),
    queue: await pageLoad('/queue', ['/ui/api/jobs?state=queued']),
    tenants: await pageLoad('/tenants', ['/ui/api/tenants']),
  };
  // /metrics takes a token (the admin's sees every series), as Prometheus' bearer_token sends it.
  const scrape = async () => { const r = await fetch(`${cp.url}/metrics`, { headers: { authorization: `Bearer ${cp.newAdminToken!}` } }); if (r.status !== 200) throw new Error(`/metrics: ${r.status}`); return r.text(); };
  const metricsText = await scrape();
  out.metrics = { scrapeSeconds: await timed(scrape, 5), bytes: metricsText.length, series: metricsText.split('\n').filter((l) => l && !l.startsWith('#')).length };
} finally {
  for (const j of await cp.store.listJobs({ states: ['running', 'queued'] })) await cp.store.requestCancel(j.id, Date.now() / 1000);
  cp.reconciler.kick();
  await cp.reconciler.idle();
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
}

spawnSync(join(ROOT, 'gigafactory'), ['--version']); // builds the bundle if it is stale
const node = startSeconds(process.execPath, ['-e', '0']);
const bundled = startSeconds(join(ROOT, 'gigafactory'), ['--version']);
const tsx = startSeconds(join(ROOT, 'gigafactory'), ['--version'], { GIGAFACTORY_TSX: '1' });
out.cliStart = { nodeSeconds: node, gigafactoryVersionSeconds: bundled, ratioToNode: round(bundled / node, 2), viaTsxSeconds: tsx };
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
