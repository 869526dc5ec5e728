// `up --executor sim --sim-speed X`: one clock. The plane keeps wall time and every duration the
// simulated cluster lives in is divided by X: the pool's lead time, the rent policy's queue wait
// and idle release, a queued job's estimated_start (from runtime estimates), and the rented hours
// billed are the cluster's, as in `gigafactory sim --rent-pool`. At 3600x, a cluster hour is a
// wall second; on wall time the defaults (1 h wait, 1 h idle) would keep this test waiting hours.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import type { FleetSpec, PoolSpec } from '../fleet/types.ts';
import { executorFromFlags } from './executor-select.ts';
import { parseJobSpec } from './job-spec.ts';
import type { PoolRow } from './renting.ts';
import { startControlPlane } from './server.ts';
import { clusterSecondsOf, wallSecondsOf } from './cluster-time.ts';
import { poolBills } from './rental-cost.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('cluster time: a duration crosses to wall seconds by the speed, and back', () => {
  assert.equal(wallSecondsOf(3600, 3600), 1);
  assert.equal(clusterSecondsOf(2, 3600), 7200);
  assert.equal(wallSecondsOf(600), 600, 'a real cluster: speed 1');
  // A node of 8 GPUs rented 2 wall seconds at 3600x is billed 2 cluster hours; a 1-hour minimum term is 1 wall second.
  const bill = (clusterSpeed?: number, released = 1002) => poolBills({
    live: [], released: [{ node: 'n', pool: 'p', launchedSeconds: 1000, releasedSeconds: released, gpus: 8, pricePerHourUsd: 24 } as never],
    gpusOf: () => 8, pools: [{ name: 'p', minimumHours: 1 }], nowSeconds: 2000, ...(clusterSpeed !== undefined ? { clusterSpeed } : {}),
  })[0]!;
  assert.deepEqual([bill(3600).gpuHours, bill(3600).costUsd], [16, 48]);
  assert.deepEqual([bill(3600, 1000.5).gpuHours], [8], 'half a wall second: the 1-hour minimum term');
  assert.ok(bill().gpuHours < 8.01 && bill().gpuHours >= 8, 'speed 1: 2 s are under the 1-hour minimum');
});

test('up --executor sim --sim-speed 3600 --rent-pool: rent wait, lead time, idle release, estimated_start and billing on the cluster\'s clock', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-clock-'));
  const pool: PoolSpec = { ...FLEET_PRESETS['oci-h100']!.pools[0]!, maxNodes: 8, leadTimeHours: 0.5, minimumHours: 0 };
  const fleet: FleetSpec = { ...FLEET_PRESETS['h100-16k']!, halls: [{ name: 'hall', nodeType: 'hgx-h100', nodes: 4 }], pools: [] };
  const chosen = (await executorFromFlags({ executor: 'sim', simFleet: fleet, simSpeed: '3600', simFailureRate: '0', rentPool: pool }))!;
  assert.equal(chosen.clusterSpeed, 3600);
  // The defaults of `up --rent-pool`: rent after a cluster hour of waiting, give back after a cluster hour idle.
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 30, ...chosen, rent: { pool } });
  const auth = { authorization: `Bearer ${cp.newAdminToken!}` };
  const rented = async () => ((await (await fetch(`${cp.url}/v1/pools`, { headers: auth })).json()) as { pools: PoolRow[] }).pools.find((p) => p.kind === 'rented')!;
  const submit = async (name: string, nodes: number, simSeconds: number, over: Record<string, unknown> = {}) => {
    const j = (await cp.store.submitJob({ tenant: 't', submitSeconds: Date.now() / 1000, spec: parseJobSpec({ name, nodes, gpus_per_node: 8, command: ['x'], env: { GF_SIM_SECONDS: String(simSeconds) }, ...over }) })).job;
    cp.reconciler.kick();
    return j.id;
  };
  const until = async (what: string, ok: () => Promise<boolean>, withinMs = 20_000) => {
    const deadline = Date.now() + withinMs;
    while (!(await ok())) { assert.ok(Date.now() < deadline, `timed out: ${what}`); await sleep(20); }
  };
  try {
    // A 6-cluster-hour job on all 4 owned nodes, with its estimate: it ends 6 wall seconds after it starts.
    const owner = await submit('owner', 4, 21_600, { estimated_runtime_seconds: 21_600 });
    await until('owner running', async () => (await cp.store.getJob(owner))?.state === 'running');
    const started = (await cp.store.getJob(owner))!.startSeconds!;
    const head = await submit('head', 2, 3600);
    const job = async (id: string) => ((await (await fetch(`${cp.url}/v1/jobs/${id}`, { headers: auth })).json()) as { job: { estimated_start: string | null } }).job;
    await until('head explained', async () => (await job(head)).estimated_start !== null);
    const est = Date.parse((await job(head)).estimated_start!) / 1000;
    assert.ok(Math.abs(est - (started + 6)) < 0.5, `estimated_start ${est - started} wall s after the owner started; want 6 (21,600 cluster s at 3600x)`);
    // Waited past a cluster hour (1 wall s): rented; joined after the 30-minute lead time (0.5 wall s), before the owner ends.
    await until('head running on rented nodes', async () => (await cp.store.getJob(head))?.state === 'running', 10_000);
    assert.ok((await cp.store.getJob(head))!.nodeIndices.every((n) => cp.topology.nodes[n]!.rented), 'on the rented nodes, not the owner\'s');
    await until('head done', async () => (await cp.store.getJob(head))?.state === 'succeeded', 10_000);
    // Idle a cluster hour (1 wall second): given back.
    await until('rented nodes released after an idle cluster hour', async () => (await rented()).provisionedNodes === 0, 10_000);
    const bill = await rented();
    assert.ok(bill.rentedGpuHours >= 2 * 8 * 1, `billed in cluster hours: 2 nodes x 8 GPUs x at least the 1-hour run, got ${bill.rentedGpuHours}`);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
