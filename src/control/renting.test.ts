// Renting in the live plane: the real control plane (HTTP API, SQLite, reconciler) over the
// simulated executor and the simulated provider. A job larger than the owned nodes waits past
// the threshold, the rent policy provisions rented nodes, they join after the lead time, the job
// runs on owned + rented nodes, and GET /v1/pools bills them; idle rented nodes go back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { buildTopology } from '../fleet/topology.ts';
import type { FleetSpec, PoolSpec } from '../fleet/types.ts';
import { parseJobSpec } from './job-spec.ts';
import { SimulatedProvider, wallClock } from './provider.ts';
import { startControlPlane } from './server.ts';
import { SimCluster, SimExecutor } from './sim/executor.ts';
import type { PoolRow } from './renting.ts';
import { sample } from './prom-check.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('up --executor sim --rent-pool: a job bigger than the owned nodes runs on rented ones, billed in GET /v1/pools, released when idle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-rent-'));
  const pool: PoolSpec = { ...FLEET_PRESETS['oci-h100']!.pools[0]!, maxNodes: 8, leadTimeHours: 0.5, minimumHours: 0 };
  const fleet: FleetSpec = { ...FLEET_PRESETS['h100-16k']!, halls: [{ name: 'hall', nodeType: 'hgx-h100', nodes: 4 }], pools: [pool] };
  const topology = buildTopology(fleet, { includePools: true });
  const cluster = new SimCluster({ speed: 3600, failuresPer1000NodeDays: 0 }); // the 30-minute lead time is 0.5 s
  const provider = new SimulatedProvider(topology, [pool], wallClock(cluster.speed));
  const cp = await startControlPlane({
    dataDir: dir, port: 0, tickMs: 50, executor: new SimExecutor(cluster), topology, provider,
    rent: { pool, queueWaitThresholdSeconds: 0, idleReleaseSeconds: 0 },
  });
  const pools = async () => ((await (await fetch(`${cp.url}/v1/pools`, { headers: { authorization: `Bearer ${cp.newAdminToken!}` } })).json()) as { pools: PoolRow[] }).pools;
  const metrics = async () => (await fetch(`${cp.url}/metrics`, { headers: { authorization: `Bearer ${cp.newAdminToken!}` } })).text();
  const nodeStates = async () => ((await (await fetch(`${cp.url}/v1/nodes`, { headers: { authorization: `Bearer ${cp.newAdminToken!}` } })).json()) as { nodes: { rented: boolean; state: string }[] }).nodes
    .filter((n) => n.rented).map((n) => n.state);
  try {
    const before = await pools();
    assert.deepEqual(before.map((p) => [p.name, p.kind, p.nodes, p.provisionedNodes]), [['hall', 'owned', 4, 4], [pool.name, 'rented', 8, 0]]);
    assert.deepEqual(await nodeStates(), Array(8).fill('unrented'), 'GET /v1/nodes: the pool\'s nodes are not up before they are rented');
    // Nothing rented yet: the pool's nodes are not part of the fleet, in nodes, GPUs or rented nodes.
    let m = await metrics();
    assert.equal(sample(m, `gigafactory_rented_nodes{pool="${pool.name}"}`), 0);
    assert.equal(sample(m, 'gigafactory_nodes{state="unrented"}'), 8);
    assert.equal(sample(m, 'gigafactory_nodes{state="rented"}'), undefined);
    assert.equal(sample(m, 'gigafactory_gpus{state="idle"}'), 32);
    const small = (await cp.store.submitJob({ tenant: 't', submitSeconds: Date.now() / 1000, spec: parseJobSpec({ name: 'small', nodes: 2, gpus_per_node: 8, command: ['x'], env: { GF_SIM_SECONDS: '3600' } }) })).job;
    cp.reconciler.kick();
    const deadline = Date.now() + 20_000;
    while ((await cp.store.getJob(small.id))?.state !== 'running') { assert.ok(Date.now() < deadline, 'small running'); await sleep(20); }
    assert.ok((await cp.store.getJob(small.id))!.nodeIndices.every((n) => !topology.nodes[n]!.rented), 'owned nodes first');
    const big = (await cp.store.submitJob({ tenant: 't', submitSeconds: Date.now() / 1000, spec: parseJobSpec({ name: 'big', nodes: 6, gpus_per_node: 8, command: ['x'], env: { GF_SIM_SECONDS: '7200' } }) })).job;
    cp.reconciler.kick();
    while ((await cp.store.getJob(big.id))?.state !== 'running') { assert.ok(Date.now() < deadline, 'big running on rented nodes'); await sleep(20); }
    const nodes = (await cp.store.getJob(big.id))!.nodeIndices;
    assert.ok(nodes.some((n) => topology.nodes[n]!.rented), 'the big job runs on rented nodes');
    const during = (await pools()).find((p) => p.kind === 'rented')!;
    assert.ok(during.provisionedNodes >= 4, `rented nodes joined: ${during.provisionedNodes}`);
    assert.equal((await nodeStates()).filter((st) => st === 'up').length, during.provisionedNodes, 'a joined rented node is up');
    m = await metrics();
    const rentedNow = sample(m, `gigafactory_rented_nodes{pool="${pool.name}"}`)!;
    assert.ok(rentedNow >= 4 && rentedNow <= 8, `gigafactory_rented_nodes while rented: ${rentedNow}`);
    assert.equal(sample(m, 'gigafactory_nodes{state="rented"}'), rentedNow);
    assert.equal(sample(m, 'gigafactory_nodes{state="unrented"}') ?? 0, 8 - rentedNow);
    while ((await cp.store.getJob(big.id))?.state !== 'succeeded') { assert.ok(Date.now() < deadline, 'big done'); await sleep(20); }
    let after = (await pools()).find((p) => p.kind === 'rented')!;
    while (after.provisionedNodes > 0) { assert.ok(Date.now() < deadline, 'idle rented nodes released'); await sleep(50); after = (await pools()).find((p) => p.kind === 'rented')!; }
    assert.ok(after.rentedGpuHours > 0 && after.costUsd > 0, JSON.stringify(after));
    assert.deepEqual(await nodeStates(), Array(8).fill('unrented'), 'released nodes are unrented again');
    assert.ok(Math.abs(after.costUsd - after.rentedGpuHours * pool.pricePerGpuHourUsd) < 0.05, 'cost = GPU-hours x the pool price');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
