/**
 * Serve deployments on a real control plane (local executor, 4 node slots) with FAKE replica
 * processes (src/serve/fake-replica-main.ts) and gateways that follow the deployment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../control/client.ts';
import { startControlPlane, type ControlPlane } from '../control/server.ts';
import { releaseId } from './deployment.ts';
import { DeploymentFollower } from './deployment-follower.ts';
import { Gateway } from './gateway.ts';
import { ReleaseFiguresWindow } from './release-figures.ts';
import { chatBody, post } from './test-helpers.ts';

const FAKE_REPLICA = join(import.meta.dirname, 'fake-replica-main.ts');
const until = async (what: string, cond: () => Promise<boolean> | boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

interface View { deployment: { replicas: { job_id: string; release: string; state: string; ready: boolean; draining: boolean }[]; stable: { id: string } | null; canary: { id: string } | null } }

async function startGateway(control: ControlClient, name: string) {
  const figures = new ReleaseFiguresWindow(Date.now, 20_000);
  const gw = new Gateway({ healthCheckIntervalMs: 0, loadWindowSeconds: 1, onAttempt: (r, ok, ms) => { if (r.release) figures.record(r.release, ok, ms); } });
  const port = await gw.listen(0);
  const follower = new DeploymentFollower({ control, gateway: gw, deployment: name, figures, gatewayId: `gw-${port}` });
  follower.start(200);
  return { gw, base: `http://127.0.0.1:${port}`, close: async () => { follower.stop(); await gw.close(); } };
}

async function withPlane(fn: (cp: ControlPlane, control: ControlClient, dataDir: string) => Promise<void>, o: { switchUsers?: boolean } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gf-deploy-'));
  // Replicas run as this process's user (what is under test is the deployment, not tenancy),
  // unless asked to run as the tenant's Unix user, as a plane run as root does.
  const cp = await startControlPlane({ dataDir, port: 0, localNodes: 4, tickMs: 100, deploymentTickMs: 200, ...(o.switchUsers ? {} : { canSwitchUsers: false, singleUser: true }) });
  const control = new ControlClient({ url: cp.url, token: cp.newAdminToken! });
  try { await fn(cp, control, dataDir); } finally {
    try { await control.call('DELETE', '/v1/deployments/chat'); } catch { /* deleted by the test */ }
    await until('replicas stopped', async () => (await cp.store.listJobs({ states: ['queued', 'running'] })).length === 0).catch(() => undefined);
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const deployment = (over: Record<string, unknown> = {}) => ({
  name: 'chat', model: 'tiny-chat', gpus_per_replica: 0, min_replicas: 1, max_replicas: 3, replica_capacity_tps: 40,
  replica_command: [process.execPath, '--import', 'tsx', FAKE_REPLICA, '--port', '{port}', '--model', '{model}', '--checkpoint', '{checkpoint}', '--max-seconds', '150'],
  workdir: process.cwd(), port_base: 20_000 + Math.floor(Math.random() * 20_000), ...over,
});

test('a deployment is owned by the control plane: it scales on gateway reports, and a restarted gateway picks up', { timeout: 120_000 }, async () => {
  await withPlane(async (cp, control) => {
    // No {checkpoint}: the replica loads its own weights, no release needed. It advertises
    // "localhost" through $GF_ENDPOINT_FILE, which the plane prefers to the node's address.
    const created = await control.call<{ created: boolean }>('POST', '/v1/deployments', deployment({ replica_command: [...deployment().replica_command.filter((w) => w !== '--checkpoint' && w !== '{checkpoint}'), '--advertise', 'localhost'] }));
    assert.equal(created.created, true);
    const running = async () => (await control.call<View>('GET', '/v1/deployments/chat')).deployment.replicas.filter((r) => r.ready && !r.draining).length;
    let gw = await startGateway(control, 'chat');
    await until('one ready replica', async () => (await running()) === 1);
    assert.match((await control.call<{ deployment: { replicas: { url: string }[] } }>('GET', '/v1/deployments/chat')).deployment.replicas[0]!.url, /^http:\/\/localhost:\d+$/);
    await until('gateway routes to it', async () => (await post(gw.base, chatBody())).status === 200);
    let loading = true;
    let base = gw.base;
    const clients = Array.from({ length: 6 }, async () => { while (loading) { try { await (await post(base, chatBody({ stream: true }))).text(); } catch { await new Promise((r) => setTimeout(r, 50)); } } });
    await until('scaling up starts', async () => (await running()) >= 2);
    // The gateway dies mid-ramp; a new one takes the traffic, and the plane keeps scaling.
    await gw.close();
    gw = await startGateway(control, 'chat');
    base = gw.base;
    await until('scaled to the maximum of 3 behind the new gateway', async () => (await running()) === 3);
    loading = false;
    await Promise.all(clients);
    await until('scaled back to the minimum of 1', async () => (await running()) === 1 && (await cp.store.listJobs({ states: ['queued', 'running'] })).length === 1, 40_000);
    await gw.close();
  });
});

test('a canary that fails its latency threshold is rolled back automatically; one that passes takes all traffic', { timeout: 120_000 }, async () => {
  await withPlane(async (_cp, control, dataDir) => {
    const ckpt = async (name: string, delayMs: number) => {
      const dir = join(dataDir, 'ckpts', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'fake-replica.json'), JSON.stringify({ delay_ms: delayMs }));
      await control.call('POST', '/v1/gates', { model: 'tiny-chat', checkpoint: dir, time: new Date().toISOString(), passed: true, decision: { passed: true, checks: [] }, scores: {} });
      return dir;
    };
    const [good, slow, better] = [await ckpt('good', 0), await ckpt('slow', 400), await ckpt('better', 0)];
    await control.call('POST', '/v1/deployments', deployment({ max_replicas: 1 }));
    // Bad input: an unknown release, a share outside 1-99%.
    await assert.rejects(control.call('POST', '/v1/deployments/chat/releases', { checkpoint: join(dataDir, 'never-gated') }), /404.*unknown release/);
    await assert.rejects(control.call('POST', '/v1/deployments/chat/releases', { checkpoint: good, canary_percent: '100%' }), /canary_percent/);
    await control.call('POST', '/v1/deployments/chat/releases', { checkpoint: good });
    const gw = await startGateway(control, 'chat');
    try {
      await until('stable serving', async () => (await post(gw.base, chatBody())).status === 200);
      let loading = true;
      const clients = Array.from({ length: 2 }, async () => { while (loading) { try { await (await post(gw.base, chatBody())).text(); } catch { /* retried */ } } });
      const thresholds = { max_p99_ms: 200, min_requests: 5, max_error_rate: 0.05 };
      await control.call('POST', '/v1/deployments/chat/releases', { checkpoint: slow, canary_percent: '50%', hold_seconds: 30, ...thresholds });
      const view = async () => (await control.call<View>('GET', '/v1/deployments/chat')).deployment;
      await until('canary rolled back', async () => (await view()).canary === null, 60_000);
      const steps = (await control.call<{ events: { step: string; reason?: string; p99_ms?: number }[] }>('GET', '/v1/deployments/chat/releases')).events;
      assert.deepEqual(steps.map((e) => e.step), ['created', 'promoted', 'canary-started', 'rolled-back']);
      assert.match(steps[3]!.reason!, /latency p99 \d+ ms > 200 ms/);
      assert.ok(steps[3]!.p99_ms! >= 400, `the slow replica's p99 is recorded: ${steps[3]!.p99_ms}`);
      const d = await view();
      assert.equal(d.stable!.id, releaseId(good), 'back on the previous release');
      await until('slow replicas gone', async () => (await view()).replicas.every((r) => r.release === d.stable!.id));
      // A healthy canary passes after its hold time and takes all traffic.
      await control.call('POST', '/v1/deployments/chat/releases', { checkpoint: better, canary_percent: 50, hold_seconds: 2, ...thresholds });
      await until('canary passed', async () => (await view()).canary === null && (await view()).stable!.id !== d.stable!.id, 60_000);
      const after = (await control.call<{ events: { step: string }[] }>('GET', '/v1/deployments/chat/releases')).events.map((e) => e.step);
      assert.deepEqual(after.slice(-2), ['canary-started', 'canary-passed']);
      loading = false;
      await Promise.all(clients);
    } finally { await gw.close(); }
  });
});

test('a canary held to eval scores: one stating false claims is rolled back, an honest one passes; bad eval thresholds are refused', { timeout: 120_000 }, async () => {
  await withPlane(async (_cp, control, dataDir) => {
    const facts = { name: 'facts', kind: 'factuality' as const, min_pass_rate: 0.5, items: [{ prompt: 'what is the sun?', must_contain: ['star'], must_not_contain: ['planet'] }, { prompt: 'what is three plus three?', must_contain: ['six'], must_not_contain: ['seven'] }] };
    const ckpt = async (name: string, answers: Record<string, string>) => {
      const dir = join(dataDir, 'ckpts', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'fake-replica.json'), JSON.stringify({ answers }));
      await control.call('POST', '/v1/gates', { model: 'tiny-chat', checkpoint: dir, time: new Date().toISOString(), passed: true, decision: { passed: true, checks: [] }, scores: {}, suites: [facts] });
      return dir;
    };
    const honest = { 'what is the sun?': 'the sun is a star.', 'what is three plus three?': 'three plus three is six.' };
    const [good, liar, better] = [await ckpt('good', honest), await ckpt('liar', { 'what is the sun?': 'the sun is a planet.', 'what is three plus three?': 'it is seven.' }), await ckpt('better', honest)];
    await control.call('POST', '/v1/deployments', deployment({ max_replicas: 1 }));
    await control.call('POST', '/v1/deployments/chat/releases', { checkpoint: good });
    const steps = async () => (await control.call<{ events: { step: string; reason?: string; evals?: Record<string, number> }[] }>('GET', '/v1/deployments/chat/releases')).events;
    const view = async () => (await control.call<View>('GET', '/v1/deployments/chat')).deployment;
    // Bad input: an unknown suite, a bad threshold, eval thresholds without a canary. Nothing changes.
    const canary = { checkpoint: liar, canary_percent: 50, hold_seconds: 5, min_requests: 1, max_p99_ms: 5000 };
    await assert.rejects(control.call('POST', '/v1/deployments/chat/releases', { ...canary, canary_eval: ['nope>=0.5'] }), /canary_eval: got "nope"; expected a suite of the checkpoint's release gate: facts/);
    await assert.rejects(control.call('POST', '/v1/deployments/chat/releases', { ...canary, canary_eval: ['facts>=2'] }), /canary_eval\.0: got "facts>=2"; expected SUITE>=SCORE/);
    await assert.rejects(control.call('POST', '/v1/deployments/chat/releases', { ...canary, canary_eval: { facts: 1.5 } }), /canary_eval\.facts/);
    await assert.rejects(control.call('POST', '/v1/deployments/chat/releases', { checkpoint: liar, canary_eval: ['facts>=0.8'] }), /canary_eval: .*expected canary_percent as well/);
    await assert.rejects(control.call('POST', '/v1/deployments/chat/releases', { ...canary, canary_eval: ['facts>=0.8'], eval_suites: [{ ...facts, name: 'other' }] }), /canary_eval: got "facts"; expected a suite of the eval suites given with the promotion \(eval_suites\): other/);
    assert.equal((await view()).canary, null);
    assert.deepEqual((await steps()).map((e) => e.step), ['created', 'promoted'], 'a refused promotion stores nothing');
    const gw = await startGateway(control, 'chat');
    try {
      await until('stable serving', async () => (await post(gw.base, chatBody())).status === 200);
      let loading = true;
      const clients = Array.from({ length: 2 }, async () => { while (loading) { try { await (await post(gw.base, chatBody())).text(); } catch { /* retried */ } } });
      await control.call('POST', '/v1/deployments/chat/releases', { ...canary, canary_eval: ['facts>=0.8'] });
      await until('lying canary rolled back', async () => (await view()).canary === null, 60_000);
      const s1 = await steps();
      assert.deepEqual(s1.map((e) => e.step), ['created', 'promoted', 'canary-started', 'canary-evaluated', 'rolled-back']);
      assert.deepEqual(s1[3]!.evals, { facts: 0 });
      assert.match(s1[4]!.reason!, /eval facts 0\.00 < 0\.8/);
      assert.deepEqual(s1[4]!.evals, { facts: 0 }, 'the rollback step carries the eval figures');
      assert.equal((await view()).stable!.id, releaseId(good));
      await until('liar replicas gone', async () => (await view()).replicas.every((r) => r.release === releaseId(good)));
      await control.call('POST', '/v1/deployments/chat/releases', { ...canary, checkpoint: better, canary_eval: { facts: 0.8 } });
      await until('honest canary passed', async () => (await view()).stable!.id === releaseId(better), 60_000);
      const s2 = await steps();
      assert.deepEqual(s2.slice(-3).map((e) => e.step), ['canary-started', 'canary-evaluated', 'canary-passed']);
      assert.match(s2.at(-1)!.reason!, /eval facts 1\.00 >= 0\.8/);
      assert.deepEqual(s2.at(-1)!.evals, { facts: 1 });
      loading = false;
      await Promise.all(clients);
    } finally { await gw.close(); }
  });
});

test('a replica that never becomes healthy is reported with its log tail and replaced', { timeout: 60_000 }, async () => {
  await withPlane(async (_cp, control) => {
    await control.call('POST', '/v1/deployments', deployment({ replica_command: ['/bin/sh', '-c', 'echo "loading weights from /models/x: out of memory"; exec sleep 60'], startup_timeout_seconds: 1 }));
    interface Unhealthy { deployment: { unhealthy: { jobId: string; reason: string; logTail: string }[] } }
    await until('an unhealthy report', async () => (await control.call<Unhealthy>('GET', '/v1/deployments/chat')).deployment.unhealthy.length > 0);
    const [u] = (await control.call<Unhealthy>('GET', '/v1/deployments/chat')).deployment.unhealthy;
    assert.match(u!.reason, /not healthy 1 s after it started/);
    assert.match(u!.logTail, /out of memory/);
    const { events } = await control.call<{ events: { type: string; message: string }[] }>('GET', `/v1/jobs/${u!.jobId}`);
    assert.ok(events.some((e) => e.type === 'unhealthy' && /out of memory/.test(e.message)), 'the job\'s events say so too');
  });
});

const NOT_ROOT = typeof process.getuid !== 'function' || process.getuid() !== 0 ? 'needs root: the plane switches to the tenant\'s Unix user' : false;

test('on a plane run as root, a replica runs as the tenant\'s user and still reports its endpoint', { skip: NOT_ROOT, timeout: 60_000 }, async () => {
  await withPlane(async (_cp, control, dataDir) => {
    // No {checkpoint}; it advertises "localhost" through $GF_ENDPOINT_FILE, which it must be able to write.
    const command = [...deployment().replica_command.filter((w) => w !== '--checkpoint' && w !== '{checkpoint}'), '--advertise', 'localhost'];
    await control.call('POST', '/v1/deployments', deployment({ min_replicas: 1, max_replicas: 1, replica_command: command }));
    interface Replicas { deployment: { replicas: { url: string; ready: boolean; state: string }[] } }
    await until('a ready replica', async () => (await control.call<Replicas>('GET', '/v1/deployments/chat')).deployment.replicas.some((r) => r.ready));
    assert.match((await control.call<Replicas>('GET', '/v1/deployments/chat')).deployment.replicas[0]!.url, /^http:\/\/localhost:\d+$/);
    const endpointFiles = () => readdirSync(join(dataDir, 'tenants', 'admin')).filter((f) => f.startsWith('deploy.chat.'));
    assert.equal(endpointFiles().length, 1, 'the replica wrote its endpoint file in the tenant\'s area');
    await control.call('DELETE', '/v1/deployments/chat');
    assert.deepEqual(endpointFiles(), [], 'undeploy removes it');
  }, { switchUsers: true });
});

test('deployment input errors: larger than the fleet, unknown deployment', { timeout: 60_000 }, async () => {
  await withPlane(async (_cp, control) => {
    await assert.rejects(control.call('POST', '/v1/deployments', deployment({ nodes_per_replica: 5 })), /nodes: 5 requested but this cluster has 4/);
    await assert.rejects(control.call('POST', '/v1/deployments', deployment({ min_replicas: 3, max_replicas: 5 })), /max_replicas: 5 replicas x 1 node\(s\) is larger than the fleet \(4 node\(s\)\)/);
    await assert.rejects(control.call('POST', '/v1/deployments', deployment({ gpus_per_replica: 8 })), /gpus_per_node: 8/);
    await assert.rejects(control.call('POST', '/v1/deployments', { ...deployment(), gpus_per_replica: 'two' }), /gpus_per_replica/);
    await assert.rejects(control.call('GET', '/v1/deployments/nope'), /404.*unknown deployment "nope"/);
    await assert.rejects(control.call('POST', '/v1/deployments', deployment({ workdir: '/no/such/dir' })), /workdir.*\/no\/such\/dir/);
    assert.deepEqual((await control.call<{ deployments: unknown[] }>('GET', '/v1/deployments')).deployments, [], 'nothing stored by a refused deployment');
    // Gate results: a malformed one is refused naming the field; nothing is stored.
    const gate = { model: 'tiny-chat', checkpoint: '/c', time: '2026-12-01T00:00:00Z', passed: true, decision: { passed: true, checks: [] }, scores: {} };
    await assert.rejects(control.call('POST', '/v1/gates', { ...gate, passed: false }), /passed: got false; expected passed must equal decision\.passed/);
    await assert.rejects(control.call('POST', '/v1/gates', { ...gate, time: 'yesterday' }), /time: got "yesterday"; expected an ISO 8601 time/);
    await assert.rejects(control.call('POST', '/v1/gates', { ...gate, model: '../etc' }), /model: got "\.\.\/etc"/);
    await assert.rejects(control.call('POST', '/v1/gates', { ...gate, colour: 'red' }), /colour/);
    await assert.rejects(control.call('GET', '/v1/gates/bad%20name'), /400|a model id/);
    assert.deepEqual(await control.call('GET', '/v1/gates/tiny-chat'), { model: 'tiny-chat', served: null, gates: [] });
  });
});
