import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../control/client.ts';
import { startControlPlane } from '../control/server.ts';
import { Gateway } from './gateway.ts';
import { ServeService, releaseTag } from './service.ts';
import { chatBody, post } from './test-helpers.ts';

const execFileAsync = promisify(execFile);
const FAKE_REPLICA = join(import.meta.dirname, 'fake-replica-main.ts');
const until = async (what: string, cond: () => Promise<boolean> | boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

test('serve jobs: replicas start as control-plane jobs, scale with load between min and max, and roll to a new release', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gf-service-'));
  // Replicas run as the plane's user: serving is under test here, not tenancy.
  const cp = await startControlPlane({ dataDir, port: 0, localNodes: 4, tickMs: 100, canSwitchUsers: false, singleUser: true });
  const control = new ControlClient({ url: cp.url, token: cp.newAdminToken! });
  const gw = new Gateway({ healthCheckIntervalMs: 150, loadWindowSeconds: 1 });
  const gwPort = await gw.listen(0);
  const base = `http://127.0.0.1:${gwPort}`;
  let checkpoint = '/ckpt/release-a';
  const service = new ServeService({
    control, gateway: gw, model: 'tiny-chat', minReplicas: 1, maxReplicas: 3, capacityTokensPerSecondPerReplica: 40,
    replicaCommand: [process.execPath, '--import', 'tsx', FAKE_REPLICA, '--port', '{port}', '--model', '{model}', '--chunk-delay-ms', '5', '--max-seconds', '150'],
    workdir: process.cwd(), checkpoint: () => checkpoint, portBase: 19300 + Math.floor(Math.random() * 500), drainTimeoutMs: 3000,
  });
  const healthy = () => gw.pool.replicasOf('tiny-chat').filter((r) => r.healthy && !r.draining).length;
  try {
    service.start(200);
    await until('one healthy replica', () => healthy() === 1);
    assert.equal((await post(base, chatBody())).status, 200);
    // Load: 6 clients streaming for a few seconds pushes the demand far above 40 tok/s.
    let loading = true;
    const clients = Array.from({ length: 6 }, async () => { while (loading) await (await post(base, chatBody({ stream: true }))).text(); });
    await until('scale up to the maximum of 3', async () => (await service.jobs()).filter((j) => j.state === 'running').length === 3 && healthy() === 3);
    loading = false;
    await Promise.all(clients);
    await until('scale down to the minimum of 1', async () => (await service.jobs()).length === 1, 30_000);
    // Promote another checkpoint: the replica set rolls over to it.
    checkpoint = '/ckpt/release-b';
    await until('rolled to release b', async () => { const j = await service.jobs(); return j.length === 1 && j[0]!.release === releaseTag(checkpoint) && j[0]!.state === 'running'; }, 30_000);
    await until('new release healthy', () => healthy() === 1);
    assert.equal((await post(base, chatBody())).status, 200);
    // `gigafactory serve stop` cancels the replica jobs (the service first, or it starts new ones).
    service.stop();
    // Async: the control plane serving the CLI runs in this process.
    const stop = await execFileAsync('./gigafactory', ['serve', 'stop', 'tiny-chat', '--data-dir', dataDir], { encoding: 'utf8', timeout: 60_000 });
    assert.match(stop.stdout, /cancelled 1 replica job/);
    await until('replicas cancelled', async () => (await service.jobs()).length === 0);
  } finally {
    service.stop();
    try {
      for (const j of await service.jobs()) await control.call('POST', `/v1/jobs/${j.id}/cancel`);
      await until('replicas stopped', async () => (await service.jobs()).length === 0);
    } catch { /* replicas also exit by themselves (--max-seconds) */ }
    await gw.close();
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
