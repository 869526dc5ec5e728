import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FleetSpec } from '../fleet/types.ts';
import { buildTopology } from '../fleet/topology.ts';
import { parseJobSpec } from './job-spec.ts';
import type { AttemptRecord, JobRecord } from './store/types.ts';
import { computeUsage, fleetNodeRates } from './usage.ts';
import type { PoolBill } from './rental-cost.ts';

// One owned HGX H100 node and one rented OCI H100 node at $10/GPU-hour.
const FLEET: FleetSpec = {
  name: 'acct', halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 1 }],
  pools: [{ name: 'oci', provider: 'oracle', nodeType: 'oci-bm-gpu-h100-8', maxNodes: 1, pricePerGpuHourUsd: 10, leadTimeHours: 0, minimumHours: 1 }],
  network: { switchType: 'qm9700', nicGbps: 400, railOptimized: true, oversubscription: 1, hopLatencyMicroseconds: 0.5 },
  facility: { pue: 1.2, electricityUsdPerKwh: 0.0623, amortizationYears: 4 },
};
// By hand: $317,000 capex over 4 x 8,760 h + 10.2 kW x 1.2 x $0.0623/kWh.
const OWNED_NODE_HOUR = 317_000 / (4 * 8760) + 10.2 * 1.2 * 0.0623;

const NOW = 100_000;
function job(id: string, tenant: string, gpusPerNode: number): JobRecord {
  return { id, tenant, spec: parseJobSpec({ name: id, command: ['true'], gpus_per_node: gpusPerNode }), state: 'succeeded', submitSeconds: 0, attempt: 1, restarts: 0, cancelRequested: false, nodeIndices: [] };
}
const attempt = (jobId: string, n: number, node: number, start: number, end?: number): AttemptRecord => ({ jobId, attempt: n, startSeconds: start, nodeIndices: [node], ...(end !== undefined ? { endSeconds: end } : {}) });

function scenario(sinceSeconds?: number, bills?: PoolBill[], clusterSpeed?: number) {
  const topology = buildTopology(FLEET, { includePools: true });
  const owned = topology.nodes.findIndex((n) => !n.rented);
  const rented = topology.nodes.findIndex((n) => n.rented);
  const jobs = [job('job-1', 'a', 8), job('job-2', 'b', 2), job('job-3', 'a', 0)];
  const attempts = new Map<string, AttemptRecord[]>([
    ['job-1', [attempt('job-1', 1, owned, 10_000, 10_000 + 7200)]],                                   // 2 h, 8 GPUs, owned
    ['job-2', [attempt('job-2', 1, rented, 20_000, 20_900), attempt('job-2', 2, rented, 30_000, 30_900)]], // 2 x 15 min, 2 of 8 rented GPUs
    ['job-3', [attempt('job-3', 1, owned, NOW - 3600)]],                                              // running 1 h, whole node
  ]);
  return computeUsage({ jobs, attempts, nodes: topology.nodes, rateOf: fleetNodeRates(topology.nodes, FLEET), nowSeconds: NOW, ...(sinceSeconds !== undefined ? { sinceSeconds } : {}), ...(bills ? { bills } : {}), ...(clusterSpeed !== undefined ? { clusterSpeed } : {}) });
}

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

test('usage by hand: owned GPU-hours at capex + power, rented at the pool price, per job and per tenant', () => {
  const r = scenario();
  const byJob = Object.fromEntries(r.jobs.map((j) => [j.jobId, j]));
  close(byJob['job-1']!.ownedGpuHours, 16);
  close(byJob['job-1']!.nodeHours, 2);
  close(byJob['job-1']!.ownedCostUsd, 2 * OWNED_NODE_HOUR);
  close(byJob['job-2']!.rentedGpuHours, 2 * 0.5);
  close(byJob['job-2']!.rentedCostUsd, 0.5 * 2 * 10);
  assert.equal(byJob['job-2']!.ownedCostUsd, 0);
  close(byJob['job-3']!.ownedGpuHours, 8);
  close(byJob['job-3']!.ownedCostUsd, OWNED_NODE_HOUR);
  const a = r.tenants.find((t) => t.tenant === 'a')!;
  assert.equal(a.jobs, 2);
  close(a.ownedGpuHours, 24);
  close(a.ownedCostUsd, 3 * OWNED_NODE_HOUR);
  close(r.total.rentedCostUsd, 10);
  assert.deepEqual(r.rates.map((x) => [x.pool, x.kind]), [['hall-a', 'owned'], ['oci', 'rented']]);
  close(r.rates[1]!.usdPerNodeHour, 80);
});

test('usage on a simulated cluster at --sim-speed 60: an attempt\'s wall minute is a cluster hour, as the pools bill it', () => {
  const wall = scenario();
  const fast = scenario(undefined, undefined, 60);
  for (const j of wall.jobs) {
    const f = fast.jobs.find((x) => x.jobId === j.jobId)!;
    close(f.ownedGpuHours, 60 * j.ownedGpuHours);
    close(f.rentedGpuHours, 60 * j.rentedGpuHours);
    close(f.rentedCostUsd, 60 * j.rentedCostUsd);
    close(f.nodeHours, 60 * j.nodeHours);
  }
  close(fast.total.ownedCostUsd, 60 * wall.total.ownedCostUsd);
  close(scenario(undefined, undefined, 1).total.rentedGpuHours, wall.total.rentedGpuHours);
});

test('usage --since counts only the hours after it (a running job\'s last half hour)', () => {
  const r = scenario(NOW - 1800);
  assert.deepEqual(r.jobs.map((j) => j.jobId), ['job-3']);
  close(r.jobs[0]!.ownedGpuHours, 4);
  close(r.total.ownedCostUsd, 0.5 * OWNED_NODE_HOUR);
  assert.equal(r.tenants.length, 1);
});

test('without a fleet file, a node is priced from the catalog: owned as its GPU\'s HGX server, rented at the list price', () => {
  const topology = buildTopology(FLEET, { includePools: true });
  const rate = fleetNodeRates(topology.nodes, undefined);
  const owned = topology.nodes.findIndex((n) => !n.rented);
  const rented = topology.nodes.findIndex((n) => n.rented);
  close(rate(owned).usdPerNodeHour, OWNED_NODE_HOUR);
  assert.match(rate(owned).source, /hgx-h100/);
  close(rate(rented).usdPerNodeHour, 80);
  assert.equal(rate(rented).kind, 'rented');
});

test('usage pool rows: billed minus what jobs used, never below zero when jobs show more than the bill', () => {
  // job-2 used 0.5 h x 2 GPUs = 1 GPU-h, $10 of pool oci (see scenario()); the bill: 2 h of the 8-GPU node.
  const [p] = scenario(undefined, [{ pool: 'oci', gpuHours: 16, costUsd: 160 }]).pools!;
  assert.deepEqual(p, { pool: 'oci', gpuHours: 16, costUsd: 160, jobsGpuHours: 1, jobsCostUsd: 10, idleGpuHours: 15, idleCostUsd: 150 });
  // A bill below the jobs' share (e.g. a rental closed at a restart before its job's attempt ended): nothing idle.
  const [short] = scenario(undefined, [{ pool: 'oci', gpuHours: 0.5, costUsd: 5 }]).pools!;
  assert.equal(short!.idleCostUsd, 0);
  assert.equal(short!.idleGpuHours, 0);
  assert.equal(scenario().pools, undefined, 'no bills given (a tenant\'s report): no pool rows');
});
