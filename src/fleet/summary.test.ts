import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeFleet } from './summary.ts';
import { networkTiers } from './tiers.ts';
import { FLEET_PRESETS } from './presets.ts';
import { parseFleetYaml } from './parse.ts';
import { localFleet } from './local.ts';
import { GPUS } from '../catalog/gpus.ts';
import { NODE_TYPES } from '../catalog/nodes.ts';
import { ownedNodeHourlyCostUsd } from '../catalog/prices.ts';
import { ImpossibleError } from '../lib/errors.ts';

const MIXED = parseFleetYaml(`name: mixed
halls:
  - { name: a, node_type: hgx-h100, nodes: 100 }
  - { name: b, node_type: dgx-a100, nodes: 10 }
pools:
  - { name: oci, provider: oracle, node_type: oci-bm-gpu-h100-8, max_nodes: 20, price_per_gpu_hour_usd: 9, lead_time_hours: 24 }
network: { switch_type: qm9700, nic_gbps: 400 }
facility: { pue: 1.5, electricity_usd_per_kwh: 0.1, amortization_years: 5 }
`, 'mixed.yaml');

test('mixed fleet: every hall and pool listed, totals are their sums', () => {
  const s = summarizeFleet(MIXED);
  assert.deepEqual(s.groups.map((g) => [g.name, g.kind]), [['a', 'owned'], ['b', 'owned'], ['oci', 'rented']]);
  assert.equal(s.totals.gpus, 8 * (100 + 10 + 20));
  assert.deepEqual(s.gpusByType, { h100: 8 * 120, a100: 80 });
  assert.equal(s.totals.nodes, 130);
  for (const k of ['peakDenseBf16FlopsPerSecond', 'hbmBytes', 'racks'] as const) {
    assert.equal(s.totals[k], s.groups.reduce((a, g) => a + g[k], 0), k);
  }
});

test('compute and memory come from the GPU catalog; A100 adds no FP8', () => {
  const s = summarizeFleet(MIXED);
  const a = s.groups.find((g) => g.name === 'a')!;
  const b = s.groups.find((g) => g.name === 'b')!;
  assert.equal(a.peakDenseBf16FlopsPerSecond, 800 * GPUS.h100.peakDenseBf16FlopsPerSecond.value);
  assert.equal(a.hbmBytes, 800 * GPUS.h100.hbmBytes.value);
  assert.equal(b.peakDenseFp8FlopsPerSecond, 0);
});

test('power: owned nodes plus owned switches, facility = IT x PUE; pools draw the provider power', () => {
  const s = summarizeFleet(MIXED);
  const owned = s.fabrics.find((f) => f.name === 'owned')!;
  const expectIt = 100 * NODE_TYPES['hgx-h100']!.maxPowerKw + 10 * NODE_TYPES['dgx-a100']!.maxPowerKw + owned.powerKw;
  assert.ok(Math.abs(s.totals.ownedItPowerKw - expectIt) < 1e-6);
  assert.ok(Math.abs(s.totals.ownedFacilityPowerKw - expectIt * 1.5) < 1e-6);
});

test('hourly cost: pools rent at their price, owned GPUs at the cloud list price; owning is capex/h + energy', () => {
  const s = summarizeFleet(MIXED);
  assert.equal(s.groups.find((g) => g.name === 'oci')!.rentUsdPerHour, 9 * 160);
  const a = s.groups.find((g) => g.name === 'a')!;
  const node = ownedNodeHourlyCostUsd(NODE_TYPES['hgx-h100']!, MIXED.facility);
  assert.ok(Math.abs(a.ownUsdPerHour - 100 * node.totalUsdPerHour) < 1e-6);
  assert.ok(Math.abs(node.capexUsdPerHour - NODE_TYPES['hgx-h100']!.capexUsd / (5 * 8760)) < 1e-9);
  // Owning a busy H100 costs less per hour than renting it at list price.
  assert.ok(s.totals.ownUsdPerHour < s.totals.rentUsdPerHour);
});

test('colossus-100k: 100,000 GPUs, ~99 EFLOP/s BF16, power in the published 130-170 MW band', () => {
  const s = summarizeFleet(FLEET_PRESETS['colossus-100k']!);
  assert.equal(s.totals.gpus, 100_000);
  assert.equal(s.fabrics[0]!.fabric.tiers, 3); // "three tiers" (NVIDIA PR, hardware.md A4)
  const mw = s.totals.ownedFacilityPowerKw / 1000;
  assert.ok(mw > 127 && mw < 170, `${mw} MW`);
});

test('network tiers widen and never speed up going out; NVLink is fastest', () => {
  for (const name of Object.keys(FLEET_PRESETS)) {
    const tiers = networkTiers(FLEET_PRESETS[name]!);
    assert.equal(tiers[0]!.name, 'nvlink');
    for (let i = 1; i < tiers.length; i++) {
      assert.ok(tiers[i]!.endpointsWithin > tiers[i - 1]!.endpointsWithin, name);
      assert.ok(tiers[i]!.bandwidthBytesPerSecondPerGpu <= tiers[i - 1]!.bandwidthBytesPerSecondPerGpu, name);
      assert.ok(tiers[i]!.latencySeconds > tiers[i - 1]!.latencySeconds, name);
    }
  }
});

test('network tiers: H100 with 8 x 400 Gb/s gets 50 GB/s per GPU; a 7:1 taper divides it above the leaf', () => {
  const t = networkTiers(FLEET_PRESETS['h100-16k']!);
  assert.deepEqual(t.map((x) => x.name), ['nvlink', 'leaf', 'spine', 'core']);
  assert.equal(t[1]!.bandwidthBytesPerSecondPerGpu, 50e9);
  assert.equal(t[t.length - 1]!.endpointsWithin, 16_384);
  const tapered = { ...FLEET_PRESETS['h100-16k']!, network: { ...FLEET_PRESETS['h100-16k']!.network, oversubscription: 7 } };
  const tt = networkTiers(tapered);
  assert.equal(tt[1]!.bandwidthBytesPerSecondPerGpu, 50e9);
  assert.ok(Math.abs(tt[2]!.bandwidthBytesPerSecondPerGpu - 50e9 / 7) < 1);
});

test('a CPU-only local machine has no network tiers and no scale-out fabric', () => {
  const f = localFleet({ hostname: 'box', cpuCores: 2, memoryBytes: 8 * 2 ** 30, gpus: [] });
  assert.deepEqual(networkTiers(f), []);
  const s = summarizeFleet(f);
  assert.equal(s.fabrics.length, 0);
  assert.equal(s.totals.cpuCores, 2);
});

test('a fabric no fat tree can build is an ImpossibleError with a fix, not a crash', () => {
  const huge = parseFleetYaml(`name: huge
halls: [{ name: a, node_type: hgx-h100, nodes: 1000000 }]
network: { switch_type: qm9700, rail_optimized: false }
`, 'huge.yaml');
  assert.throws(() => summarizeFleet(huge), (e: unknown) => e instanceof ImpossibleError && /rail_optimized|radix/.test(e.hint));
});
