// One node view for the API, the metrics and the dashboard: operator states, spares, rented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTopology } from '../fleet/topology.ts';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { listNodeRows, nodeStatuses } from './node-rows.ts';
import { summarizeNodes } from './node-status.ts';
import { SqliteStore } from './store/sqlite.ts';

test('node rows: drained and down from the operator, down from the executor; metrics count spares, rented and drained GPUs apart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-noderows-'));
  const store = new SqliteStore(join(dir, 'db'));
  try {
    const base = FLEET_PRESETS['oci-h100']!;
    const topology = buildTopology({ ...base, halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 4 }], pools: base.pools.map((p) => ({ ...p, maxNodes: 1 })) }, { includePools: true });
    const [a0, a1, a2, a3] = topology.nodes.filter((n) => !n.rented).map((n) => n.name);
    await store.setNodeState(a0!, 'drain', 'swap a NIC', 100);
    await store.setNodeState(a1!, 'down', 'bad HBM', 100);
    const rows = await listNodeRows(store, topology, (name) => name !== a2);
    const state = Object.fromEntries(rows.map((r) => [r.name, r.state]));
    assert.deepEqual([state[a0!], state[a1!], state[a2!], state[a3!]], ['drained', 'down', 'down', 'up']);
    assert.equal(rows.find((r) => r.name === a1)!.reason, 'bad HBM');
    const spare = topology.nodes.find((n) => n.name === a3)!.index;
    const statuses = nodeStatuses(rows, new Set([spare]));
    assert.equal(statuses.find((s) => s.name === a3)!.state, 'spare');
    assert.equal(statuses.find((s) => topology.nodes.find((n) => n.name === s.name)!.rented)!.state, 'rented');
    const { nodesByState, gpusByState } = summarizeNodes(statuses);
    assert.equal(nodesByState.get('drained'), 1);
    assert.equal(gpusByState.get('down'), 3 * 8, 'drained, operator-down and executor-down GPUs take no work');
  } finally { await store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('node rows: a node the executor reports in repair is `repair` (with when it is back), unless the operator downed it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-noderows-'));
  const store = new SqliteStore(join(dir, 'db'));
  try {
    const base = FLEET_PRESETS['oci-h100']!;
    const topology = buildTopology({ ...base, halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 4 }], pools: [] });
    const [a0, a1, a2, a3] = topology.nodes.map((n) => n.name);
    await store.setNodeState(a1!, 'down', 'PSU', 100);
    const down = new Set([a0, a1, a2]);
    const back = Date.UTC(2026, 11, 6, 12) / 1000;
    const rows = await listNodeRows(store, topology, (name) => !down.has(name), (name) => (name === a0 || name === a1 ? back : undefined));
    const byName = new Map(rows.map((r) => [r.name, r]));
    assert.deepEqual([a0, a1, a2, a3].map((n) => byName.get(n!)!.state), ['repair', 'down', 'down', 'up']);
    assert.equal(byName.get(a0!)!.reason, 'in repair, back by about 2026-12-06T12:00:00.000Z');
    assert.equal(byName.get(a1!)!.reason, 'PSU', "the operator's down and reason stand");
    const { nodesByState, gpusByState } = summarizeNodes(nodeStatuses(rows, new Set()));
    assert.equal(nodesByState.get('repair'), 1);
    assert.equal(gpusByState.get('down'), 3 * 8, 'GPUs in repair take no work');
  } finally { await store.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('node rows: a node of the rent pool that is not rented now is `unrented` (not up, its GPUs not idle capacity); once joined it is up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-noderows-'));
  const store = new SqliteStore(join(dir, 'db'));
  try {
    const base = FLEET_PRESETS['oci-h100']!;
    const topology = buildTopology({ ...base, halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 1 }], pools: base.pools.map((p) => ({ ...p, maxNodes: 2 })) }, { includePools: true });
    const [r0, r1] = topology.nodes.filter((n) => n.rented);
    const joined = new Set([r0!.index]);
    const rows = await listNodeRows(store, topology, undefined, undefined, (i) => joined.has(i));
    const byName = new Map(rows.map((r) => [r.name, r]));
    assert.deepEqual([byName.get(r0!.name)!.state, byName.get(r1!.name)!.state], ['up', 'unrented']);
    assert.match(byName.get(r1!.name)!.reason ?? '', /not rented now/);
    const { nodesByState, gpusByState } = summarizeNodes(nodeStatuses(rows, new Set()));
    assert.deepEqual([nodesByState.get('unrented'), nodesByState.get('rented'), gpusByState.get('idle')], [1, 1, 2 * 8], 'the owned node and the joined rented node are the idle capacity');
  } finally { await store.close(); rmSync(dir, { recursive: true, force: true }); }
});
