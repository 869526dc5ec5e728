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
