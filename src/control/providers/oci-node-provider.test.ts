// OracleNodeProvider's failures against the local stand-in of OCI's Compute API (not Oracle
// Cloud), on a clock the test moves: the backoff after refusals, a launch that outlives the
// pool's lead time, and what a restarted plane finds in the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTopology } from '../../fleet/topology.ts';
import { FLEET_PRESETS } from '../../fleet/presets.ts';
import type { PoolSpec } from '../../fleet/types.ts';
import { MemoryRentalTable } from '../store/rental-memory.ts';
import { RetryBackoff } from './backoff.ts';
import { ociAuthentication, ociPoolConfig, OciProvider } from './oci.ts';
import { OciNodeProvider } from './oci-node-provider.ts';
import { startOciStandin } from './oci-standin.ts';
import { OCI_POOL_FIELDS, ociKeyPair, writeOciConfig } from './oci-test-kit.ts';

async function setup(o: { provisionSeconds?: number; capacity?: number; leadTimeHours?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gf-oci-np-'));
  const keys = ociKeyPair();
  const clock = { ms: 1_000_000_000 };
  const standin = await startOciStandin({ publicKeyPem: keys.publicPem, nowMs: () => clock.ms, provisionSeconds: o.provisionSeconds ?? 0, ...(o.capacity !== undefined ? { capacity: o.capacity } : {}) });
  const pool: PoolSpec = {
    name: 'oci', provider: 'oracle', nodeType: 'oci-bm-gpu-h100-8', maxNodes: 2, pricePerGpuHourUsd: 10, leadTimeHours: o.leadTimeHours ?? 0, minimumHours: 0,
    providerConfig: { ...OCI_POOL_FIELDS, oci_config_file: writeOciConfig(dir, keys), oci_endpoint: standin.url },
  };
  const cfg = ociPoolConfig(pool);
  const oci = new OciProvider(cfg, { authentication: await ociAuthentication(cfg), pollSeconds: 10, nowMs: () => clock.ms, sleep: async (ms) => { clock.ms += ms; } });
  const topology = buildTopology({ ...FLEET_PRESETS['oci-h100']!, halls: [{ name: 'hall', nodeType: 'hgx-h100', nodes: 1 }], pools: [pool] }, { includePools: true });
  const rentals = new MemoryRentalTable();
  const lines: string[] = [];
  const make = async () => {
    const p = new OciNodeProvider(topology, pool, oci, { nowMs: () => clock.ms, bootMarginSeconds: 60, backoff: new RetryBackoff() });
    await p.attach({ rentals, log: (l) => lines.push(l) });
    const joined: string[] = [];
    p.onJoin((_, nodes) => joined.push(...nodes));
    return { p, joined };
  };
  const close = async () => { await standin.close(); rmSync(dir, { recursive: true, force: true }); };
  return { standin, clock, rentals, make, lines, close, oci };
}

const launches = (requests: readonly string[]) => requests.filter((r) => r === 'POST /20160918/instances').length;

test('out of host capacity: no rental kept, the refusal is the status, and launches wait 30 s, 60 s, 120 s ... up to 10 min', async () => {
  const s = await setup({ capacity: 0 });
  try {
    const { p } = await s.make();
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const asked = launches(s.standin.requests);
      assert.deepEqual(await p.provision('oci', 1), []);
      assert.equal(launches(s.standin.requests), asked + 1, `try ${i + 1} went out`);
      const { problem } = p.status();
      assert.match(problem!, /LaunchInstance for oci-00000 .*out of host capacity: InternalError \(HTTP 500\): Out of host capacity\./);
      const wait = Number(/\(backoff (\d+) s\)/.exec(problem!)![1]);
      waits.push(wait);
      // Just before the retry time nothing goes out.
      s.clock.ms += (wait - 1) * 1000;
      assert.deepEqual(await p.provision('oci', 1), []);
      assert.equal(launches(s.standin.requests), asked + 1, 'nothing during the backoff');
      s.clock.ms += 1000;
    }
    assert.deepEqual(waits, [30, 60, 120, 240, 480, 600, 600]);
    assert.equal(s.rentals.rows.size, 0);
    assert.equal(p.status().provisioningNodes, 0);
  } finally { await s.close(); }
});

test('an instance still PROVISIONING past the lead time plus boot is terminated; its node is free again and its rental gone', async () => {
  const s = await setup({ provisionSeconds: 3600, leadTimeHours: 0.01 }); // 36 s lead + 60 s margin
  try {
    const { p, joined } = await s.make();
    assert.deepEqual(await p.provision('oci', 1), ['oci-00000']);
    assert.equal(s.rentals.rows.get('oci-00000')?.state, 'provisioning');
    await p.settled();
    assert.deepEqual(joined, []);
    const [inst] = [...s.standin.instances.values()];
    assert.equal(inst!.lifecycleState, 'TERMINATING');
    assert.equal(s.rentals.rows.size, 0);
    assert.match(p.status().problem!, /still PROVISIONING after 96 s .*; Oracle is asked again at .* \(backoff 30 s\)/);
    s.clock.ms += 30_000;
    assert.deepEqual(await p.provision('oci', 1), ['oci-00000'], 'the node can be rented again after the backoff');
    await p.close();
  } finally { await s.close(); }
});

test('a restarted plane re-adopts from the store: RUNNING joins at once, an intent is found by name, a vanished one is forgotten; nothing is launched', async () => {
  const s = await setup({ provisionSeconds: 0 });
  try {
    const first = await s.make();
    assert.deepEqual(await first.p.provision('oci', 2), ['oci-00000', 'oci-00001']);
    await first.p.settled();
    assert.deepEqual(first.joined.sort(), ['oci-00000', 'oci-00001']);
    const rows = await s.rentals.list();
    assert.deepEqual(rows.map((r) => [r.node, r.state, r.pricePerHourUsd]), [['oci-00000', 'running', 80], ['oci-00001', 'running', 80]]);
    // As if the plane died during LaunchInstance of oci-00001 (its OCID never stored), and oci-00000's
    // instance was terminated behind its back, plus an intent whose launch never reached OCI.
    await s.rentals.put({ ...rows[1]!, instanceId: null, state: 'launching' });
    await s.oci.terminate(rows[0]!.instanceId!);
    const before = launches(s.standin.requests);
    const second = await s.make();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(second.joined, ['oci-00001']);
    assert.deepEqual((await s.rentals.list()).map((r) => [r.node, r.instanceId, r.state]), [['oci-00001', rows[1]!.instanceId, 'running']]);
    assert.equal(launches(s.standin.requests), before, 'nothing launched at restart');
    assert.ok(s.lines.some((l) => /oci-00000's instance .* is gone; forgotten/.test(l)), s.lines.join('\n'));
    // The forgotten node is free again; the re-adopted one is not launched twice.
    assert.deepEqual(await second.p.provision('oci', 2), ['oci-00000']);
    await second.p.release(['oci-00001']);
    assert.equal(s.standin.instances.get(rows[1]!.instanceId!)!.lifecycleState, 'TERMINATING');
    assert.deepEqual((await s.rentals.list()).map((r) => r.node), ['oci-00000']);
    await second.p.close();
  } finally { await s.close(); }
});

test('OCI unreachable at restart: the rentals stay in the store, their nodes are not launched again, a retry is planned', async () => {
  const s = await setup({ provisionSeconds: 0 });
  try {
    const first = await s.make();
    assert.deepEqual(await first.p.provision('oci', 1), ['oci-00000']);
    await first.p.settled();
    await s.standin.close(); // Oracle unreachable from here on
    const second = await s.make();
    assert.deepEqual((await s.rentals.list()).map((r) => [r.node, r.state]), [['oci-00000', 'running']]);
    assert.ok(s.lines.some((l) => /could not re-adopt oci-00000: OCI GetInstance .* failed: .*; kept in the store, tried again at/.test(l)), s.lines.join('\n'));
    assert.deepEqual(await second.p.provision('oci', 2), [], 'waits out the backoff: nothing launched, oci-00000 least of all');
    assert.deepEqual(second.joined, []);
    await second.p.close();
  } finally { await s.close(); }
});
