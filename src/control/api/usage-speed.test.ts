// GET /v1/usage of a plane over a simulated cluster (`--sim-speed`): hours are the cluster's,
// from the store's wall-time attempts, as the rented pools' bills are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeExecutor } from '../fake-executor.ts';
import { parseJobSpec } from '../job-spec.ts';
import { storePath } from '../layout.ts';
import { startControlPlane } from '../server.ts';
import { SqliteStore } from '../store/sqlite.ts';
import type { UsageReport } from '../usage.ts';
import { buildTopology } from '../../fleet/topology.ts';
import type { FleetSpec } from '../../fleet/types.ts';

const FLEET: FleetSpec = {
  name: 'speed', halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 1 }], pools: [],
  network: { switchType: 'qm9700', nicGbps: 400, railOptimized: true, oversubscription: 1, hopLatencyMicroseconds: 0.5 },
  facility: { pue: 1.2, electricityUsdPerKwh: 0.0623, amortizationYears: 4 },
};

test('usage at --sim-speed 60: a wall minute of an 8-GPU job is a cluster hour, 8 GPU-hours; at speed 1, 8/60', async () => {
  for (const [speed, gpuHours] of [[60, 8], [1, 8 / 60]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'gf-usage-speed-'));
    try {
      const store = new SqliteStore(storePath(dir));
      const t0 = Math.floor(Date.now() / 1000) - 3600;
      const { job } = await store.submitJob({ tenant: 'a', spec: parseJobSpec({ name: 'x', command: ['true'], gpus_per_node: 8 }), submitSeconds: t0 });
      await store.startAttempt(job.id, [0], t0);
      await store.endAttempt(job.id, 1, { outcome: 'succeeded', reason: 'exit 0', nowSeconds: t0 + 60, exitCode: 0 });
      await store.close();
      const cp = await startControlPlane({ dataDir: dir, port: 0, executor: new FakeExecutor(10), topology: buildTopology(FLEET), fleet: FLEET, clusterSpeed: speed });
      try {
        const r = await fetch(`${cp.url}/v1/usage`, { headers: { authorization: `Bearer ${cp.newAdminToken!}` } });
        const { usage } = (await r.json()) as { usage: UsageReport };
        assert.ok(Math.abs(usage.total.ownedGpuHours - gpuHours) < 1e-9, `speed ${speed}: ${usage.total.ownedGpuHours} GPU-h, expected ${gpuHours}`);
      } finally { await cp.close(); }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }
});
