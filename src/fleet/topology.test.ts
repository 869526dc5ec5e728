import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTopology } from './topology.ts';
import { FLEET_PRESETS, homogeneousFleet } from './presets.ts';
import { parseFleetYaml } from './parse.ts';
import { InputError } from '../lib/errors.ts';
import type { ClusterTopology } from './types.ts';

/** Every leaf and spine index in range; a leaf never spans two spines; indices dense. */
function assertWellFormed(t: ClusterTopology): void {
  const spineOfLeaf = new Map<number, number>();
  const poolOfLeaf = new Map<number, string>();
  t.nodes.forEach((n, i) => {
    assert.equal(poolOfLeaf.get(n.leaf) ?? n.pool, n.pool, `leaf ${n.leaf} spans two halls or pools`);
    poolOfLeaf.set(n.leaf, n.pool);
    assert.equal(n.index, i);
    assert.ok(n.leaf >= 0 && n.leaf < t.leafCount, `leaf ${n.leaf} of ${t.leafCount}`);
    assert.ok(n.spine >= 0 && n.spine < t.spineCount);
    const s = spineOfLeaf.get(n.leaf);
    if (s === undefined) spineOfLeaf.set(n.leaf, n.spine);
    else assert.equal(s, n.spine, `leaf ${n.leaf} spans spines ${s} and ${n.spine}`);
  });
  assert.equal(spineOfLeaf.size, t.leafCount);
}

test('colossus-100k: 12,500 eight-GPU H100 nodes in 4 halls on one fabric', () => {
  const t = buildTopology(FLEET_PRESETS['colossus-100k']!);
  assert.equal(t.nodes.length, 12_500);
  assert.equal(t.nodes.reduce((a, n) => a + n.gpus, 0), 100_000);
  assert.ok(t.nodes.every((n) => n.gpuType === 'h100' && !n.rented));
  assert.deepEqual([...new Set(t.nodes.map((n) => n.pool))], ['hall-a', 'hall-b', 'hall-c', 'hall-d']);
  assertWellFormed(t);
  // One fabric across halls: radix-128 leaves hold 64 nodes, so 12,500 nodes need ceil(12,500 / 64) leaves.
  assert.equal(t.leafCount, Math.ceil(12_500 / 64));
});

test('h100-16k: 2,048 nodes, 64 leaf groups of 32 nodes (SuperPOD scalable units)', () => {
  const t = buildTopology(FLEET_PRESETS['h100-16k']!);
  assert.equal(t.nodes.length, 2_048);
  assert.equal(t.leafCount, 64);
  assert.equal(t.nodes.filter((n) => n.leaf === 5).length, 32);
  assertWellFormed(t);
});

test('rented pools are left out unless asked for, then get their own domains', () => {
  const fleet = parseFleetYaml(`name: m
halls: [{ name: own, node_type: hgx-h100, nodes: 40 }]
pools: [{ name: oci, provider: oracle, node_type: oci-bm-gpu-h100-8, max_nodes: 10, price_per_gpu_hour_usd: 10, lead_time_hours: 48 }]
`, 'm.yaml');
  const owned = buildTopology(fleet);
  assert.equal(owned.nodes.length, 40);
  const all = buildTopology(fleet, { includePools: true });
  assert.equal(all.nodes.length, 50);
  const rented = all.nodes.filter((n) => n.rented);
  assert.equal(rented.length, 10);
  assert.ok(rented.every((n) => n.pool === 'oci'));
  const ownedLeaves = new Set(all.nodes.filter((n) => !n.rented).map((n) => n.leaf));
  assert.ok(rented.every((n) => !ownedLeaves.has(n.leaf)), 'a pool shares no leaf with owned halls');
  assertWellFormed(all);
});

test('a rented-only fleet has no nodes until pools are included', () => {
  const f = FLEET_PRESETS['oci-h100']!;
  assert.equal(buildTopology(f).nodes.length, 0);
  assert.equal(buildTopology(f, { includePools: true }).nodes.length, f.pools[0]!.maxNodes);
});

test('homogeneousFleet rounds GPUs up to whole 8-GPU nodes and rejects bad counts', () => {
  const f = homogeneousFleet('h200', 1_001);
  assert.equal(f.halls[0]!.nodes, 126);
  assert.equal(f.halls[0]!.nodeType, 'hgx-h200');
  assert.equal(buildTopology(f).nodes[0]!.gpuType, 'h200');
  assert.equal(homogeneousFleet('a100', 64).network.nicGbps, 200);
  assert.throws(() => homogeneousFleet('h100', 0), InputError);
  assert.throws(() => homogeneousFleet('h100', 2.5), InputError);
  assert.throws(() => homogeneousFleet('x' as 'h100', 8), InputError);
});

test('node names are unique', () => {
  const t = buildTopology(FLEET_PRESETS['colossus-100k']!);
  assert.equal(new Set(t.nodes.map((n) => n.name)).size, t.nodes.length);
});

test('odd sizes: a tapered flat fabric keeps leaf groups inside pods and halls', () => {
  const fleet = parseFleetYaml(`name: odd
halls:
  - { name: a, node_type: hgx-h100, nodes: 1000 }
  - { name: b, node_type: dgx-a100, nodes: 333 }
network: { switch_type: qm9700, nic_gbps: 200, rail_optimized: false, oversubscription: 2 }
`, 'odd.yaml');
  const t = buildTopology(fleet);
  assert.equal(t.nodes.length, 1_333);
  assertWellFormed(t);
  const firstB = t.nodes.find((n) => n.pool === 'b')!;
  assert.ok(firstB.leaf > t.nodes.find((n) => n.pool === 'a' && n.index === 999)!.leaf);
});
