// GET /v1/usage's rented pool rows, by hand, for a scripted run: the plane's renting (LiveRenting
// over the simulated provider, a moved clock) rents one node, a job uses half of it for half an
// hour, the node goes back once idle and past its minimum term. The pool's bill comes from the
// store, so the figures are the same after a restart. Only an admin's report of every tenant has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTopology } from '../../fleet/topology.ts';
import type { FleetSpec, PoolSpec } from '../../fleet/types.ts';
import { parseJobSpec } from '../job-spec.ts';
import { SimulatedProvider } from '../provider.ts';
import { LiveRenting } from '../renting.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { fleetNodeRates, type UsageReport } from '../usage.ts';
import { createApp } from './app.ts';
import { hashToken } from './auth.ts';

// One owned node; a rented pool of one 8-GPU node at $10/GPU-hour ($80/node-hour), 2 h minimum term.
const POOL: PoolSpec = { name: 'oci', provider: 'oracle', nodeType: 'oci-bm-gpu-h100-8', maxNodes: 1, pricePerGpuHourUsd: 10, leadTimeHours: 0, minimumHours: 2 };
const FLEET: FleetSpec = {
  name: 'acct', halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 1 }], pools: [POOL],
  network: { switchType: 'qm9700', nicGbps: 400, railOptimized: true, oversubscription: 1, hopLatencyMicroseconds: 0.5 },
  facility: { pue: 1.2, electricityUsdPerKwh: 0.0623, amortizationYears: 4 },
};
// The simulated provider's lead time (0 h) passes on the next turn of the event loop.
const NEXT_TURN = { after: (_s: number, fn: () => void) => { const t = setImmediate(fn); return { cancel: () => clearImmediate(t) }; } };
const turn = () => new Promise((r) => setImmediate(r));
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);

const topology = buildTopology(FLEET, { includePools: true });
const rentedIndex = topology.nodes.findIndex((n) => n.rented);
type App = ReturnType<typeof createApp>;

/** A plane's renting (the simulated provider, 10 min idle release) and API over `store`, on a moved clock. */
function plane(store: SqliteStore, dir: string, clock: { now: number }): { renting: LiveRenting; app: App } {
  const renting = new LiveRenting(topology, {
    provider: new SimulatedProvider(topology, [POOL], NEXT_TURN), pool: POOL, queueWaitThresholdSeconds: 0, idleReleaseSeconds: 600, rentals: store.rentals,
  }, () => clock.now, () => undefined);
  const app = createApp({ store, topology, dataDir: dir, nowSeconds: () => clock.now, nodeRates: fleetNodeRates(topology.nodes, FLEET), rentedPoolBills: async (since) => [await renting.bill(since)] });
  return { renting, app };
}

async function tokens(store: SqliteStore): Promise<SqliteStore> {
  await store.addToken(hashToken('admin-tok'), { tenant: 'admin', admin: true }, 0);
  await store.addToken(hashToken('b-tok'), { tenant: 'beta', admin: false }, 0);
  return store;
}

const get = async (app: App, path: string, token: string) => {
  const r = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() as { usage: UsageReport } };
};

/** t = 1000: a job waits, the node is rented and joins (rental from 1000); beta's job uses 4 of its 8 GPUs to 2800. */
async function rentAndRunHalfAnHour(store: SqliteStore, renting: LiveRenting, clock: { now: number }): Promise<void> {
  clock.now = 1000;
  assert.deepEqual(renting.decide([{ queuedSinceSeconds: 999, nodes: 1 }], new Set()).map((d) => d.kind), ['provision']);
  await turn();
  assert.equal(renting.arrived, 1);
  const { job } = await store.submitJob({ tenant: 'beta', spec: parseJobSpec({ name: 'ft', command: ['true'], gpus_per_node: 4 }), submitSeconds: 999 });
  await store.startAttempt(job.id, [rentedIndex], 1000);
  renting.decide([], new Set([rentedIndex]));
  clock.now = 2800;
  await store.endAttempt(job.id, 1, { outcome: 'succeeded', reason: 'exit 0', nowSeconds: 2800, exitCode: 0 });
}

test('usage pool rows by hand: billed (minimum term included), used by jobs, idle; after a restart; admin of all tenants only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-usage-pool-'));
  const db = join(dir, 'db');
  const clock = { now: 1000 };
  try {
    const store = await tokens(new SqliteStore(db));
    const first = plane(store, dir, clock);
    await rentAndRunHalfAnHour(store, first.renting, clock);
    assert.deepEqual(first.renting.decide([], new Set()), [], 'idle from 2800');
    clock.now = 3400;
    assert.deepEqual(first.renting.decide([], new Set()), [], 'idle 600 s, but the 2 h minimum term runs to 8200');
    clock.now = 8200;
    assert.deepEqual(first.renting.decide([], new Set()).map((d) => d.kind), ['release'], 'idle and past its minimum term: given back at 8200');
    clock.now = 10_000;

    // By hand: billed 1000 -> 8200 = 2 h (the minimum term) x 8 GPUs = 16 GPU-h, x $10 = $160.
    // Jobs: 0.5 h x 4 GPUs = 2 GPU-h; 0.5 h x $80/node-hour x 4/8 of the node = $20.
    // Idle or minimum term: 16 - 2 = 14 GPU-h, $160 - $20 = $140.
    // With since = 4600 (1 h after the launch): billed 4600 -> 8200 = 1 h x 8 = 8 GPU-h, $80;
    // the job ended before it: 0; idle 8 GPU-h, $80.
    const check = async (app: App, when: string) => {
      const all = await get(app, '/v1/usage', 'admin-tok');
      assert.equal(all.status, 200);
      assert.equal(all.body.usage.pools?.length, 1, `${when}: one rented pool row`);
      const p = all.body.usage.pools![0]!;
      assert.equal(p.pool, 'oci');
      close(p.gpuHours, 16, `${when} billed GPU-h`);
      close(p.costUsd, 160, `${when} billed cost`);
      close(p.jobsGpuHours, 2, `${when} jobs GPU-h`);
      close(p.jobsCostUsd, 20, `${when} jobs cost`);
      close(p.idleGpuHours, 14, `${when} idle GPU-h`);
      close(p.idleCostUsd, 140, `${when} idle cost`);
      close(all.body.usage.total.rentedCostUsd, 20, `${when} the tenants' rented cost is only what jobs used`);
      const since = (await get(app, '/v1/usage?since=1970-01-01T01:16:40Z', 'admin-tok')).body.usage.pools![0]!; // 4600 s
      close(since.gpuHours, 8, `${when} since: billed GPU-h`);
      close(since.costUsd, 80, `${when} since: billed cost`);
      close(since.jobsCostUsd, 0, `${when} since: jobs cost`);
      close(since.idleCostUsd, 80, `${when} since: idle cost`);
      // The idle cost is the operator's: no pool rows for a tenant, nor for an admin asking for one tenant.
      const own = await get(app, '/v1/usage', 'b-tok');
      assert.equal(own.status, 200);
      close(own.body.usage.total.rentedCostUsd, 20, `${when}: beta sees its own rented cost`);
      assert.equal(own.body.usage.pools, undefined, `${when}: a tenant gets no pool rows`);
      assert.equal((await get(app, '/v1/usage?tenant=beta', 'admin-tok')).body.usage.pools, undefined, `${when}: an admin asking for one tenant gets no pool rows`);
      const bad = await get(app, '/v1/usage?since=yesterday', 'admin-tok');
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /since: got \\"yesterday\\"; expected an ISO-8601 date/);
    };
    await check(first.app, 'first plane');
    await store.close();

    // A restart: a new plane on the same store, a new provider and renting with nothing in memory.
    clock.now = 20_000;
    const again = new SqliteStore(db);
    const second = plane(again, dir, clock);
    assert.equal(await second.renting.restore(), 0, 'nothing was still rented');
    clock.now = 10_000; // the same report window as before the restart
    await check(second.app, 'after restart');
    await again.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('usage pool rows: a rental cut short by a restart is billed its minimum term, the rest shows as idle/minimum term', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-usage-pool-'));
  const db = join(dir, 'db');
  const clock = { now: 1000 };
  try {
    const store = await tokens(new SqliteStore(db));
    await rentAndRunHalfAnHour(store, plane(store, dir, clock).renting, clock);
    await store.close();
    // The plane stops at 2800; a new one starts at 3000. The simulated provider's node went with
    // the old plane, so restore() closes its rental at 3000: held 2000 s, billed the 2 h minimum term.
    clock.now = 3000;
    const again = new SqliteStore(db);
    const second = plane(again, dir, clock);
    assert.equal(await second.renting.restore(), 1, 'the rental left by the first plane is closed');
    // By hand: billed max(3000 - 1000 s, 2 h) = 2 h x 8 GPUs = 16 GPU-h, $160; jobs 2 GPU-h, $20
    // (as above); idle or minimum term 14 GPU-h, $140.
    const p = (await get(second.app, '/v1/usage', 'admin-tok')).body.usage.pools![0]!;
    close(p.costUsd, 160, 'billed cost');
    close(p.gpuHours, 16, 'billed GPU-h');
    close(p.jobsCostUsd, 20, 'jobs cost');
    close(p.idleCostUsd, 140, 'idle/minimum-term cost');
    close(p.idleGpuHours, 14, 'idle/minimum-term GPU-h');
    await again.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
