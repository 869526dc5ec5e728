// A serve deployment on a real (emulated) Slurm cluster: each replica is a 2-node, 16-GPU gang
// job; rank 0 runs a FAKE OpenAI-compatible replica (src/serve/fake-replica-main.ts) and reports
// its endpoint through $GF_ENDPOINT_FILE (the emulated nodes are all `localhost`); a gateway
// follows the deployment. A node set DOWN under one replica moves its traffic to the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/control/client.ts';
import { startControlPlane } from '../../src/control/server.ts';
import { SlurmExecutor } from '../../src/control/slurm/executor.ts';
import { readSlurmTopology } from '../../src/control/slurm/cluster-topology.ts';
import { DeploymentFollower } from '../../src/serve/deployment-follower.ts';
import { Gateway } from '../../src/serve/gateway.ts';
import { ReleaseFiguresWindow } from '../../src/serve/release-figures.ts';
import { slurmMissing, useCluster } from './cluster-hooks.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (what: string, cond: () => Promise<boolean>, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) { if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`); await sleep(200); }
};
const FAKE = join(import.meta.dirname, '../../src/serve/fake-replica-main.ts');

interface View { deployment: { replicas: { job_id: string; url: string | null; ready: boolean; node: string | null }[] } }

if (slurmMissing !== false) {
  test('Slurm serve deployment', { skip: slurmMissing }, () => undefined);
} else {
  const cluster = useCluster();

  test('2-node replicas on Slurm serve chat through a gateway; a node failure moves traffic to the healthy replica', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-serve-'));
    const executor = new SlurmExecutor({ confPath: cluster.get().confPath, pollMs: 100 });
    // Replicas run as this process's user: the test is about serving on Slurm, not tenancy.
    const cp = await startControlPlane({ dataDir: join(dir, 'data'), port: 0, executor, topology: await readSlurmTopology(executor.cli), tickMs: 100, deploymentTickMs: 300, canSwitchUsers: false, singleUser: true });
    const control = new ControlClient({ url: cp.url, token: cp.newAdminToken! });
    const gw = new Gateway({ healthCheckIntervalMs: 0 });
    const follower = new DeploymentFollower({ control, gateway: gw, deployment: 'grok', figures: new ReleaseFiguresWindow() });
    const env = { ...process.env, SLURM_CONF: cluster.get().confPath };
    let victim: string | undefined;
    try {
      const rank0 = `if [ "$RANK" = 0 ]; then exec "${process.execPath}" --import tsx "${FAKE}" --port "$GF_PORT" --model grok-1 --max-seconds 170; else exec sleep 170; fi`;
      await control.call('POST', '/v1/deployments', {
        name: 'grok', model: 'grok-1', gpus_per_replica: 16, nodes_per_replica: 2, min_replicas: 2, max_replicas: 2,
        replica_command: ['/bin/bash', '-c', rank0], workdir: process.cwd(), port_base: 21_000 + Math.floor(Math.random() * 10_000),
      });
      const port = await gw.listen(0);
      follower.start(300);
      const view = async () => (await control.call<View>('GET', '/v1/deployments/grok')).deployment;
      await until('two ready replicas', async () => (await view()).replicas.filter((r) => r.ready).length === 2);
      const jobs = await Promise.all((await view()).replicas.map((r) => cp.store.getJob(r.job_id)));
      for (const j of jobs) assert.equal(j!.nodeIndices.length, 2, 'each replica is a 2-node gang');
      assert.equal(new Set(jobs.flatMap((j) => j!.nodeIndices)).size, 4, 'on 4 distinct nodes');
      const chat = async () => (await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'grok-1', messages: [{ role: 'user', content: 'hi' }] }), signal: AbortSignal.timeout(10_000) })).status;
      await until('the gateway routes', async () => (await chat()) === 200, 10_000);
      // Fail rank 0's node of the first replica: its job fails (NODE_FAIL), the other keeps serving.
      const [first] = jobs;
      victim = cp.topology.nodes[first!.nodeIndices[0]!]!.name;
      execFileSync('scontrol', ['update', `NodeName=${victim}`, 'State=DOWN', 'Reason=gf-serve-test'], { env });
      await until('its attempt ended with the node failure', async () => (await cp.store.listAttempts(first!.id)).some((a) => /NODE_FAIL/.test(a.reason ?? '')), 30_000);
      await until('the failed replica leaves rotation', async () => !(await view()).replicas.some((r) => r.job_id === first!.id && r.ready), 30_000);
      const statuses = [];
      for (let i = 0; i < 10; i++) statuses.push(await chat());
      assert.deepEqual(statuses, Array(10).fill(200), 'every request served by the healthy replica');
    } finally {
      if (victim) { try { execFileSync('scontrol', ['update', `NodeName=${victim}`, 'State=RESUME'], { env, stdio: 'ignore' }); } catch { /* up */ } }
      follower.stop();
      await gw.close();
      try { await control.call('DELETE', '/v1/deployments/grok'); } catch { /* gone */ }
      await sleep(1000);
      await cp.close();
      await executor.cli.scancel((await executor.cli.jobs()).filter((j) => j.state === 'RUNNING' || j.state === 'PENDING').map((j) => j.jobId)).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
