// `gigafactory up --rent-pool` on the local executor, renting an oracle pool from the LOCAL
// STAND-IN of OCI's Compute API (./oci-standin.ts; not Oracle Cloud): the real plane (HTTP,
// SQLite, reconciler, local processes) and the real OCI SDK with signed requests. A job bigger
// than the owned nodes waits, an instance is launched, its node joins once RUNNING, the job runs
// there (its ranks on this machine), the plane restarts and re-adopts the instance instead of
// launching another, and the idle node is released: its instance is terminated.
// Every wait is bounded; every server, process and temp dir is cleaned up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PoolSpec } from '../../fleet/types.ts';
import { executorFromFlags } from '../executor-select.ts';
import { startControlPlane, type ControlPlane } from '../server.ts';
import { startOciStandin, terminationAsked, type OciStandin } from './oci-standin.ts';
import { OCI_POOL_FIELDS, ociKeyPair, writeOciConfig } from './oci-test-kit.ts';
import { waitFor } from '../../../test/helpers/wait-for.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


interface JobJson { id: string; state: string; node_indices: number[]; reason: string | null; reason_code: string | null }
interface NodeJson { name: string; rented: boolean; rental: { provider: string; instance: string | null; state: string; launched_at: string; price_per_hour_usd: number } | null }

function api(cp: ControlPlane, token: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    return await res.json() as T;
  };
  return {
    submit: async (spec: Record<string, unknown>) => (await call<{ job: JobJson }>('POST', '/v1/jobs', spec)).job.id,
    job: async (id: string) => (await call<{ job: JobJson }>('GET', `/v1/jobs/${id}`)).job,
    nodes: async () => (await call<{ nodes: NodeJson[] }>('GET', '/v1/nodes')).nodes,
  };
}

async function rig(o: { provisionSeconds: number; capacity?: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'gf-oci-plane-'));
  chmodSync(dir, 0o711); // the data dir inside: tenants' users pass through
  const scratch = mkdtempSync(join(tmpdir(), 'gf-oci-scratch-'));
  chmodSync(scratch, 0o777); // ranks run as an unprivileged user where tests run as root
  const keys = ociKeyPair();
  const standin = await startOciStandin({ publicKeyPem: keys.publicPem, provisionSeconds: o.provisionSeconds, ...(o.capacity !== undefined ? { capacity: o.capacity } : {}) });
  const configFile = writeOciConfig(dir, keys);
  const pool: PoolSpec = {
    name: 'oci-ashburn', provider: 'oracle', nodeType: 'oci-bm-gpu-h100-8', maxNodes: 2, pricePerGpuHourUsd: 10, leadTimeHours: 0, minimumHours: 0,
    providerConfig: { ...OCI_POOL_FIELDS, oci_endpoint: standin.url },
  };
  const up = async () => {
    // As `up --rent-pool FILE --oci-config FILE`, with a fast GetInstance poll.
    const chosen = (await executorFromFlags({ executor: 'local', rentPool: pool, localNodes: 1, rent: { configFile, pollSeconds: 0.1 } }))!;
    return startControlPlane({ dataDir: join(dir, 'data'), port: 0, tickMs: 50, ...chosen, rent: { pool, queueWaitThresholdSeconds: 0, idleReleaseSeconds: 1 } });
  };
  const cleanup = async (cp: ControlPlane | undefined) => {
    await cp?.close();
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  };
  return { dir, scratch, standin, pool, up, cleanup };
}

const launches = (s: OciStandin) => s.requests.filter((r) => r === 'POST /20160918/instances').length;

test('up --rent-pool (local executor, OCI stand-in): launch, join once RUNNING, run, restart re-adopts, release after idle terminates', async () => {
  const r = await rig({ provisionSeconds: 0.5 });
  let cp: ControlPlane | undefined;
  try {
    cp = await r.up();
    const token = cp.newAdminToken!;
    let c = api(cp, token);
    const go = join(r.scratch, 'go');
    // Two nodes: this machine's one owned node and one rented; waits until `go` exists.
    const id = await c.submit({ name: 'burst', nodes: 2, gpus_per_node: 0, command: ['/bin/sh', '-c', `while [ ! -f ${go} ]; do sleep 0.05; done`] });
    const running = await waitFor('the job running on a rented node', async () => { const j = await c.job(id); return j.state === 'running' ? j : undefined; });
    assert.deepEqual(running.node_indices, [0, 1], 'the owned node and the rented oci-ashburn-00000');
    // The rent policy (the one `sim` runs) rents the waiting job's node count: two launched; the job takes one.
    const inst = [...r.standin.instances.values()].find((i) => i.displayName === 'oci-ashburn-00000');
    assert.equal(inst?.lifecycleState, 'RUNNING');
    const node = (await c.nodes()).find((n) => n.name === 'oci-ashburn-00000')!;
    assert.deepEqual({ ...node.rental, launched_at: undefined }, { provider: 'oracle', instance: inst!.id, state: 'running', launched_at: undefined, price_per_hour_usd: 80 });
    assert.equal(node.rental!.launched_at, inst!.timeCreated);
    assert.equal((await c.nodes()).find((n) => n.name === 'hall-a-00000' || !n.rented)!.rental, null, 'an owned node has none');
    // `gigafactory nodes` shows the instance, its launch time and hourly price.
    const table = await new Promise<string>((ok, fail) => execFile(join(ROOT, 'gigafactory'), ['nodes', '--data-dir', join(r.dir, 'data')], { timeout: 60_000 }, (e, out, err) => (e ? fail(new Error(err)) : ok(out))));
    assert.match(table, /^NAME\s+STATE\s+GPUS\s+IN_USE\s+POOL\s+INSTANCE\s+LAUNCHED\s+\$\/HOUR/m);
    assert.match(table, new RegExp(`^oci-ashburn-00000\\s+up\\s+8 h100\\s+\\d+\\s+oci-ashburn\\s+${inst!.id.replace(/\./g, '\\.')}\\s+${inst!.timeCreated.slice(0, 19).replace('T', ' ')}\\s+80\\.00`, 'm'));

    // The plane restarts while the job runs: the instance is re-adopted from the store, none launched.
    const launched = launches(r.standin);
    await cp.close();
    cp = undefined;
    cp = await r.up();
    c = api(cp, token);
    assert.equal(launches(r.standin), launched, 'no LaunchInstance after the restart');
    assert.equal((await c.nodes()).find((n) => n.name === 'oci-ashburn-00000')!.rental?.instance, inst!.id);
    assert.equal((await c.job(id)).state, 'running', 're-adopted with its rented node');

    writeFileSync(go, '');
    await waitFor('the job done', async () => ((await c.job(id)).state === 'succeeded' ? true : undefined));
    // Idle for a second: released, its instance terminated, its rental gone. TerminateInstance
    // leaves it TERMINATING, and any later read (the plane's own polls) finds it TERMINATED:
    // either state says the plane asked, and the DELETE itself must have been sent.
    await waitFor('the idle rented node released', async () => (terminationAsked(r.standin.instances.get(inst!.id)!) ? true : undefined));
    await waitFor('the rentals forgotten', async () => ((await cp!.store.rentals.list()).length === 0 ? true : undefined));
    assert.equal((await c.nodes()).find((n) => n.name === 'oci-ashburn-00000')!.rental, null);
    assert.deepEqual([...r.standin.instances.values()].filter((i) => !terminationAsked(i)).map((i) => `${i.displayName} ${i.lifecycleState}`), [], 'every instance terminated');
    for (const i of r.standin.instances.values()) assert.ok(r.standin.requests.includes(`DELETE /20160918/instances/${i.id}`), `TerminateInstance sent for ${i.displayName}`);
    assert.equal(launches(r.standin), launched);
  } finally { await r.cleanup(cp); }
});

test('up --rent-pool: OCI out of host capacity keeps the job queued as WaitingForRentedNodes with OCI\'s message, and backs off', async () => {
  const r = await rig({ provisionSeconds: 0, capacity: 0 });
  let cp: ControlPlane | undefined;
  try {
    cp = await r.up();
    const c = api(cp, cp.newAdminToken!);
    const id = await c.submit({ name: 'big', nodes: 2, gpus_per_node: 0, command: ['true'] });
    const j = await waitFor('the refusal in the job\'s reason', async () => { const x = await c.job(id); return x.reason?.includes('capacity') ? x : undefined; });
    assert.equal(j.state, 'queued');
    assert.equal(j.reason_code, 'WaitingForRentedNodes');
    assert.match(j.reason!, /LaunchInstance for oci-ashburn-00000 .* out of host capacity: InternalError \(HTTP 500\): Out of host capacity\./);
    assert.match(j.reason!, /Oracle is asked again at \S+ \(backoff 30 s\)/);
    // Many cycles later (50 ms each): still one LaunchInstance, the next waits out the 30 s backoff.
    await sleep(1000);
    assert.equal(launches(r.standin), 1);
    assert.equal((await c.job(id)).state, 'queued');
    assert.deepEqual(await cp.store.rentals.list(), [], 'a refused launch leaves no rental');
  } finally { await r.cleanup(cp); }
});
