// The OCI provider through the official SDK against the local stand-in of the Compute API
// (./oci-standin.ts; not Oracle Cloud): launch, wait, terminate, and how failures look.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PoolSpec } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';
import { ociAuthentication, ociPoolConfig, OciProvider, OciProvisionError } from './oci.ts';
import { startOciStandin } from './oci-standin.ts';
import { OCI_POOL_FIELDS, ociKeyPair, writeOciConfig, writeOciFleet } from './oci-test-kit.ts';

const keyPair = ociKeyPair;
const ociConfig = writeOciConfig;

function pool(config: Record<string, string>): PoolSpec {
  return { name: 'oci-ashburn', provider: 'oracle', nodeType: 'oci-bm-gpu-h100-8', maxNodes: 4, pricePerGpuHourUsd: 10, leadTimeHours: 0, minimumHours: 1, providerConfig: config };
}

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const BASE = OCI_POOL_FIELDS;
const noSleep = async (): Promise<void> => undefined;

async function setup(o: { provisionSeconds?: number; capacity?: number; signWith?: { privatePem: string; fingerprint: string } } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gf-oci-'));
  const keys = keyPair();
  // The stand-in's clock is a counter the test moves, so lead times pass without waiting.
  let nowMs = 1_000_000;
  const standin = await startOciStandin({ publicKeyPem: keys.publicPem, nowMs: () => nowMs, ...o });
  const cfg = ociPoolConfig(pool({ ...BASE, oci_config_file: ociConfig(dir, o.signWith ?? keys), oci_endpoint: standin.url }));
  const provider = new OciProvider(cfg, {
    authentication: await ociAuthentication(cfg), pollSeconds: 10, nowMs: () => nowMs,
    sleep: async (ms) => { nowMs += ms; await noSleep(); },
  });
  return { standin, provider, dir, close: async () => { await standin.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('launch -> RUNNING after the provisioning time -> terminate on release, through the SDK with signed requests', async () => {
  const s = await setup({ provisionSeconds: 95 });
  try {
    const inst = await s.provider.provision('oci-00000', 600);
    assert.equal(inst.state, 'RUNNING');
    assert.match(inst.ocid, /^ocid1\.instance\./);
    const held = s.standin.instances.get(inst.ocid)!;
    assert.deepEqual([held.displayName, held.shape, held.availabilityDomain, held.compartmentId], ['oci-00000', 'BM.GPU.H100.8', 'Uocm:US-ASHBURN-AD-1', 'ocid1.compartment.oc1..gf']);
    assert.equal(held.freeformTags['gigafactory-pool'], 'oci-ashburn');
    // Polled every 10 s until RUNNING at 95 s: the launch, then ten GetInstance calls.
    assert.equal(s.standin.requests.filter((r) => r.startsWith('GET /20160918/instances/')).length, 11);
    assert.deepEqual(await s.provider.release('oci-00000'), [inst.ocid]);
    assert.equal(s.standin.instances.get(inst.ocid)!.lifecycleState, 'TERMINATING');
    assert.deepEqual(await s.provider.release('oci-00000'), [], 'released twice: nothing left to terminate');
  } finally { await s.close(); }
});

test('a launch OCI refuses for capacity is an OciProvisionError saying so, with OCI\'s code', async () => {
  const s = await setup({ capacity: 1 });
  try {
    await s.provider.provision('oci-00000', 60);
    await assert.rejects(s.provider.provision('oci-00001', 60), (e: unknown) => {
      assert.ok(e instanceof OciProvisionError);
      assert.equal(e.node, 'oci-00001');
      assert.equal(e.serviceCode, 'InternalError');
      assert.match(e.message, /LaunchInstance for oci-00001 \(BM\.GPU\.H100\.8 in Uocm:US-ASHBURN-AD-1\) failed: out of host capacity: InternalError \(HTTP 500\): Out of host capacity\./);
      return true;
    });
  } finally { await s.close(); }
});

test('an instance still provisioning past the lead time fails and is terminated, not left billing', async () => {
  const s = await setup({ provisionSeconds: 3600 });
  try {
    await assert.rejects(s.provider.provision('oci-00000', 300), /still PROVISIONING after 300 s/);
    const [inst] = [...s.standin.instances.values()];
    assert.equal(inst!.lifecycleState, 'TERMINATING');
  } finally { await s.close(); }
});

test('requests signed with a key the tenancy does not know are refused (the stand-in checks signatures)', async () => {
  const s = await setup({ signWith: keyPair() });
  try {
    await assert.rejects(s.provider.launch('oci-00000'), /NotAuthenticated \(HTTP 401\).*signature does not verify/);
    assert.equal(s.standin.instances.size, 0);
  } finally { await s.close(); }
});

test('a pool without its compartment or shape, or an unreadable config profile, names the field or file', async () => {
  assert.throws(() => ociPoolConfig(pool({ availability_domain: 'AD-1' })), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.deepEqual(e.issues.map((i) => i.field), ['pools[oci-ashburn].compartment_id', 'pools[oci-ashburn].shape']);
    return true;
  });
  const dir = mkdtempSync(join(tmpdir(), 'gf-oci-'));
  try {
    await assert.rejects(ociAuthentication(ociPoolConfig(pool({ ...BASE, oci_config_file: join(dir, 'missing') }))), /pools\[oci-ashburn\]\.oci_config_file: got ".*missing"; expected a readable OCI config file \(ENOENT\)/);
    const file = ociConfig(dir, keyPair());
    await assert.rejects(ociAuthentication(ociPoolConfig(pool({ ...BASE, oci_config_file: file, oci_profile: 'PROD' }))), /oci_profile: got "PROD"; expected a profile of .*config: DEFAULT/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('slurm resume/suspend (Slurm\'s power programs) launch and terminate OCI instances for a rented pool\'s nodes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-oci-cli-'));
  const keys = keyPair();
  const standin = await startOciStandin({ publicKeyPem: keys.publicPem, capacity: 1 });
  try {
    const config = ociConfig(dir, keys);
    const fleet = writeOciFleet(dir, { ...BASE, oci_config_file: config, oci_endpoint: standin.url });
    const gf = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
      execFile(join(ROOT, 'gigafactory'), args, { timeout: 60_000 }, (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
    });
    const up = await gf(['slurm', 'resume', 'oci-[00000-00001]', '--fleet', fleet]);
    // The stand-in holds one instance: the first node launches, the second is out of capacity.
    assert.equal(up.code, 1);
    assert.match(up.stdout, /^resume oci-00000: pool oci \(oracle\), instance ocid1\.instance\.\S+ (PROVISIONING|RUNNING), launched \S+, \$10\/GPU-hour$/m);
    assert.match(up.stderr, /^error: OCI LaunchInstance for oci-00001 .* out of host capacity/m);
    assert.doesNotMatch(up.stderr, /\n\s+at /);
    const down = await gf(['slurm', 'suspend', 'oci-00000', '--fleet', fleet]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /^suspend oci-00000: pool oci \(oracle\), terminated ocid1\.instance\./m);
    assert.deepEqual([...standin.instances.values()].map((i) => [i.displayName, i.lifecycleState]), [['oci-00000', 'TERMINATING']]);
  } finally {
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('OCI behind the lifecycle\'s provider contract: granted nodes join once RUNNING, a capacity refusal grants fewer, release terminates', async () => {
  const { OciNodeProvider } = await import('./oci-node-provider.ts');
  const { buildTopology } = await import('../../fleet/topology.ts');
  const { FLEET_PRESETS } = await import('../../fleet/presets.ts');
  const s = await setup({ provisionSeconds: 120, capacity: 2 });
  try {
    const base = Object.values(FLEET_PRESETS)[0]!;
    const p = pool({});
    const topology = buildTopology({ ...base, halls: [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 1 }], pools: [{ ...p, maxNodes: 3 }] }, { includePools: true });
    const provider = new OciNodeProvider(topology, { ...p, maxNodes: 3, leadTimeHours: 0.5 }, s.provider);
    const joined: string[] = [];
    provider.onJoin((poolName, nodes) => { assert.equal(poolName, p.name); joined.push(...nodes); });
    const granted = await provider.provision(p.name, 3);
    assert.deepEqual(granted, ['oci-ashburn-00000', 'oci-ashburn-00001'], 'the stand-in holds two: the third is out of capacity');
    await provider.settled();
    assert.deepEqual(joined.sort(), granted);
    await provider.release(['oci-ashburn-00000']);
    assert.deepEqual([...s.standin.instances.values()].map((i) => [i.displayName, i.lifecycleState]).sort(), [['oci-ashburn-00000', 'TERMINATING'], ['oci-ashburn-00001', 'RUNNING']]);
    await assert.rejects(provider.provision('other', 1), /no rented pool "other"/);
  } finally { await s.close(); }
});
