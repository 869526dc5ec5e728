import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NODE_CATALOG, NODE_TYPES, nodeType } from './nodes.ts';
import { GPUS } from './gpus.ts';
import { SWITCHES, radixAt, switchSpec } from './network.ts';
import { RENTAL_LIST_PRICE_PER_GPU_HOUR_USD, ownedNodeHourlyCostUsd, rentalPricePerGpuHourUsd, DEFAULT_FACILITY } from './prices.ts';
import type { Sourced } from './source.ts';
import { UnknownNameError } from '../lib/errors.ts';

const isSourced = (x: unknown): x is Sourced<unknown> => typeof x === 'object' && x !== null && 'source' in x && 'value' in x;

test('the contract node ids exist and every node figure carries a source', () => {
  for (const id of ['hgx-h100', 'hgx-h200', 'hgx-b200', 'dgx-a100', 'oci-bm-gpu-h100-8']) assert.ok(NODE_TYPES[id], id);
  for (const e of Object.values(NODE_CATALOG)) {
    for (const [k, v] of Object.entries(e)) {
      if (['id', 'name', 'gpu'].includes(k)) continue;
      assert.ok(isSourced(v), `${e.id}.${k} has no source`);
      assert.ok(v.source.ref.length > 10, `${e.id}.${k} source is too thin`);
    }
  }
});

test('node power covers its GPUs at TDP; GPU ids are in the GPU catalog', () => {
  for (const t of Object.values(NODE_TYPES)) {
    assert.notEqual(t.gpu, 'cpu');
    const gpu = GPUS[t.gpu as keyof typeof GPUS];
    assert.ok(gpu, t.id);
    assert.ok(t.maxPowerKw * 1000 > t.gpusPerNode * gpu.tdpWatts.value, t.id);
  }
});

test('OCI BM.GPU.H100.8 has 16 x 200 Gb/s RDMA = 3.2 Tb/s, like 8 x 400 on an HGX', () => {
  const oci = NODE_TYPES['oci-bm-gpu-h100-8']!;
  const hgx = NODE_TYPES['hgx-h100']!;
  assert.equal(oci.nicsPerNode * oci.nicGbps, hgx.nicsPerNode * hgx.nicGbps);
});

test('unknown node and switch ids list the known ones', () => {
  assert.throws(() => nodeType('hgx-h1000'), (e: unknown) => e instanceof UnknownNameError && e.known.includes('hgx-h100'));
  assert.throws(() => switchSpec('catalyst'), (e: unknown) => e instanceof UnknownNameError && e.known.includes('qm9700'));
});

test('switch radix at a NIC speed: SN5600 runs 128 x 400G, QM9700 64 x 400G, nothing above the port speed', () => {
  assert.ok(SWITCHES.qm9700 && SWITCHES.sn5600);
  assert.equal(radixAt(SWITCHES.qm9700, 400), 64);
  assert.equal(radixAt(SWITCHES.qm9700, 200), 128);
  assert.equal(radixAt(SWITCHES.sn5600, 800), 64);
  assert.equal(radixAt(SWITCHES.sn5600, 400), 128);
  assert.equal(radixAt(SWITCHES.qm9700, 800), 0);
});

test('owning an H100 node: capex spread over the years plus nameplate energy x PUE', () => {
  const node = NODE_TYPES['hgx-h100']!;
  const c = ownedNodeHourlyCostUsd(node, { pue: 1.5, electricityUsdPerKwh: 0.1, amortizationYears: 2 });
  assert.ok(Math.abs(c.capexUsdPerHour - node.capexUsd / (2 * 8760)) < 1e-9);
  assert.ok(Math.abs(c.energyUsdPerHour - node.maxPowerKw * 1.5 * 0.1) < 1e-9);
  assert.equal(c.totalUsdPerHour, c.capexUsdPerHour + c.energyUsdPerHour);
  // At list price, renting an H100 costs more per hour than owning one kept busy.
  const own = ownedNodeHourlyCostUsd(node, DEFAULT_FACILITY).totalUsdPerHour / node.gpusPerNode;
  assert.ok(own < rentalPricePerGpuHourUsd(node)!);
});

test('rental list prices exist for every catalog GPU with a source', () => {
  for (const id of Object.keys(GPUS) as (keyof typeof GPUS)[]) {
    assert.ok(RENTAL_LIST_PRICE_PER_GPU_HOUR_USD[id].value > 0);
    assert.match(RENTAL_LIST_PRICE_PER_GPU_HOUR_USD[id].source.ref, /OCI/);
  }
});
