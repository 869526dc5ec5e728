// `gigafactory usage` against a running plane (in-process) that rents a pool: the admin's report
// prints the rented pool row (billed, jobs, idle/minimum term) and has it in --json, `--since`
// applies to it, a tenant's report has none. The figures were written to the store while the
// plane was down, so they come from the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '../../control/api/auth.ts';
import { FakeExecutor } from '../../control/fake-executor.ts';
import { parseJobSpec } from '../../control/job-spec.ts';
import { storePath } from '../../control/layout.ts';
import { SimulatedProvider, wallClock } from '../../control/provider.ts';
import { startControlPlane } from '../../control/server.ts';
import { SqliteStore } from '../../control/store/sqlite.ts';
import type { UsageReport } from '../../control/usage.ts';
import { buildTopology } from '../../fleet/topology.ts';
import type { FleetSpec, PoolSpec } from '../../fleet/types.ts';
import { runCli } from '../../../test/helpers/run-cli.ts';

// One owned node; a rented pool of one 8-GPU node at $10/GPU-hour ($80/node-hour), 2 h minimum term.
const POOL: PoolSpec = { name: 'oci', provider: 'oracle', nodeType: 'oci-bm-gpu-h100-8', maxNodes: 1, pricePerGpuHourUsd: 10, leadTimeHours: 0, minimumHours: 2 };
const FLEET: FleetSpec = {
  name: 'acct', halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 1 }], pools: [POOL],
  network: { switchType: 'qm9700', nicGbps: 400, railOptimized: true, oversubscription: 1, hopLatencyMicroseconds: 0.5 },
  facility: { pue: 1.2, electricityUsdPerKwh: 0.0623, amortizationYears: 4 },
};

const cli = runCli;

test('gigafactory usage: the rented pool row (billed, jobs, idle/minimum term) for the admin, in text and --json, with --since; none for a tenant', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-usage-cli-'));
  const topology = buildTopology(FLEET, { includePools: true });
  const rented = topology.nodes.find((n) => n.rented)!;
  const start = () => startControlPlane({
    dataDir: dir, port: 0, executor: new FakeExecutor(10), topology, fleet: FLEET,
    provider: new SimulatedProvider(topology, [POOL], wallClock()), rent: { pool: POOL, queueWaitThresholdSeconds: 86_400 },
  });
  const env = process.env.GIGAFACTORY_TOKEN;
  delete process.env.GIGAFACTORY_TOKEN;
  let cp = await start();
  try {
    await cp.close();
    // While the plane is down: the node was rented at t0 (an hour boundary, 5 h ago) and given back
    // an hour later; beta's job used 4 of its 8 GPUs for the first half hour.
    const t0 = Math.floor(Date.now() / 3_600_000) * 3600 - 5 * 3600;
    const store = new SqliteStore(storePath(dir));
    await store.addToken(hashToken('b-tok'), { tenant: 'beta', admin: false }, 0);
    const { job } = await store.submitJob({ tenant: 'beta', spec: parseJobSpec({ name: 'ft', command: ['true'], gpus_per_node: 4 }), submitSeconds: t0 });
    await store.startAttempt(job.id, [rented.index], t0);
    await store.endAttempt(job.id, 1, { outcome: 'succeeded', reason: 'exit 0', nowSeconds: t0 + 1800, exitCode: 0 });
    await store.rentals.put({ node: rented.name, pool: POOL.name, provider: 'simulated', instanceId: null, state: 'running', launchedSeconds: t0, pricePerHourUsd: 80 });
    await store.rentals.close(rented.name, t0 + 3600, 8);
    await store.close();
    cp = await start();
    const d = ['--data-dir', dir];

    // By hand: held 1 h, billed the 2 h minimum term: 16 GPU-h, $160. Jobs: 0.5 h x 4 GPUs = 2 GPU-h,
    // 0.5 h x $80 x 4/8 = $20. Idle/minimum term: 14 GPU-h, $140.
    const text = await cli(['usage', ...d]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /RENTED POOL\s+BILLED GPU-H\s+BILLED COST\s+JOBS GPU-H\s+JOBS COST\s+IDLE\/MIN-TERM GPU-H\s+IDLE\/MIN-TERM COST/);
    assert.match(text.out, /\noci\s+16\s+\$160\.00\s+2\s+\$20\.00\s+14\s+\$140\.00\s*\n/);
    const json = await cli(['usage', '--json', ...d]);
    const usage = JSON.parse(json.out) as UsageReport;
    assert.deepEqual(usage.pools, [{ pool: 'oci', gpuHours: 16, costUsd: 160, jobsGpuHours: 2, jobsCostUsd: 20, idleGpuHours: 14, idleCostUsd: 140 }]);
    // --since t0 + 1.5 h: the billed span after it is the last half hour of the term (4 GPU-h, $40), all idle.
    const since = new Date((t0 + 5400) * 1000).toISOString();
    const later = JSON.parse((await cli(['usage', '--json', '--since', since, ...d])).out) as UsageReport;
    assert.deepEqual(later.pools, [{ pool: 'oci', gpuHours: 4, costUsd: 40, jobsGpuHours: 0, jobsCostUsd: 0, idleGpuHours: 4, idleCostUsd: 40 }]);
    // An admin asking for one tenant, and the tenant itself: its own jobs, no pool row.
    const one = await cli(['usage', '--tenant', 'beta', ...d]);
    assert.match(one.out, /\nbeta\s+1\s/);
    assert.doesNotMatch(one.out, /RENTED POOL/);
    process.env.GIGAFACTORY_TOKEN = 'b-tok';
    const own = JSON.parse((await cli(['usage', '--json', ...d])).out) as UsageReport;
    assert.equal(own.total.rentedCostUsd, 20);
    assert.equal(own.pools, undefined, 'a tenant gets no pool rows');
    delete process.env.GIGAFACTORY_TOKEN;
    const bad = await cli(['usage', '--since', 'yesterday', ...d]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--since: got "yesterday"; expected an ISO-8601 date/);
  } finally {
    if (env !== undefined) process.env.GIGAFACTORY_TOKEN = env;
    else delete process.env.GIGAFACTORY_TOKEN;
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
