// GET /v1/usage from the store: survives a restart (it is computed from stored attempts), an
// admin sees every tenant, a tenant only itself; a bad `since` names the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTopology } from '../../fleet/topology.ts';
import type { FleetSpec } from '../../fleet/types.ts';
import { parseJobSpec } from '../job-spec.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { fleetNodeRates, type UsageReport } from '../usage.ts';
import { createApp } from './app.ts';
import { hashToken } from './auth.ts';

const FLEET: FleetSpec = {
  name: 'acct', halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 1 }],
  pools: [{ name: 'oci', provider: 'oracle', nodeType: 'oci-bm-gpu-h100-8', maxNodes: 1, pricePerGpuHourUsd: 10, leadTimeHours: 0, minimumHours: 1 }],
  network: { switchType: 'qm9700', nicGbps: 400, railOptimized: true, oversubscription: 1, hopLatencyMicroseconds: 0.5 },
  facility: { pue: 1.2, electricityUsdPerKwh: 0.0623, amortizationYears: 4 },
};

test('usage: per tenant from stored attempts, after a restart; tenants see only themselves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-usage-'));
  const topology = buildTopology(FLEET, { includePools: true });
  const rented = topology.nodes.findIndex((n) => n.rented);
  const db = join(dir, 'db');
  try {
    // A first plane runs tenant beta's 4-GPU job on the rented node for 30 minutes, then stops.
    const first = new SqliteStore(db);
    await first.addToken(hashToken('admin-tok'), { tenant: 'admin', admin: true }, 0);
    await first.addToken(hashToken('b-tok'), { tenant: 'beta', admin: false }, 0);
    await first.addToken(hashToken('c-tok'), { tenant: 'gamma', admin: false }, 0);
    const { job } = await first.submitJob({ tenant: 'beta', spec: parseJobSpec({ name: 'ft', command: ['true'], gpus_per_node: 4 }), submitSeconds: 0 });
    await first.startAttempt(job.id, [rented], 1000);
    await first.endAttempt(job.id, 1, { outcome: 'succeeded', reason: 'exit 0', nowSeconds: 1000 + 1800, exitCode: 0 });
    await first.close();
    // The next plane answers from the same store.
    const store = new SqliteStore(db);
    const app = createApp({ store, topology, dataDir: dir, nowSeconds: () => 10_000, nodeRates: fleetNodeRates(topology.nodes, FLEET) });
    const get = async (path: string, token: string) => { const r = await app.request(path, { headers: { authorization: `Bearer ${token}` } }); return { status: r.status, body: await r.json() as { usage: UsageReport } }; };
    const all = await get('/v1/usage', 'admin-tok');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.usage.tenants.map((t) => t.tenant), ['beta']);
    assert.equal(all.body.usage.tenants[0].rentedGpuHours, 2);       // 4 GPUs x 0.5 h
    assert.equal(all.body.usage.tenants[0].rentedCostUsd, 20);       // 2 GPU-h x $10
    assert.equal((await get('/v1/usage', 'b-tok')).body.usage.total.rentedCostUsd, 20);
    assert.deepEqual((await get('/v1/usage', 'c-tok')).body.usage.tenants, [], 'another tenant sees none of beta\'s usage');
    assert.equal((await get('/v1/usage?tenant=beta', 'c-tok')).status, 403);
    const bad = await get('/v1/usage?since=yesterday', 'admin-tok');
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /since: got \\"yesterday\\"; expected an ISO-8601 date/);
    assert.deepEqual((await get('/v1/usage?since=1970-01-01T02:00:00Z', 'admin-tok')).body.usage.jobs, [], 'nothing ran after 02:00');
    await store.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
