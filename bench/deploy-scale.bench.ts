// Time from a load step to a new replica serving, on the local executor: a control plane with
// 4 local node slots and a deployment of FAKE replica processes (src/serve/fake-replica-main.ts;
// a real model would add its own load time), min 1, max 2. A gateway reports a load twice one
// replica's capacity; we time report -> plane submits -> replica job running -> /health ready
// -> listed ready to gateways. Bounded: 3 steps, 60 s each at most. Prints one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../src/control/client.ts';
import { startControlPlane } from '../src/control/server.ts';

const FAKE = fileURLToPath(new URL('../src/serve/fake-replica-main.ts', import.meta.url));
const STEPS = 3;
const dataDir = mkdtempSync(join(tmpdir(), 'gf-bench-deploy-'));
const cp = await startControlPlane({ dataDir, port: 0, localNodes: 4, tickMs: 100, deploymentTickMs: 100 });
const control = new ControlClient({ url: cp.url, token: cp.newAdminToken! });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
interface View { deployment: { replicas: { job_id: string; state: string; ready: boolean; draining: boolean }[] } }
const view = async () => (await control.call<View>('GET', '/v1/deployments/b')).deployment.replicas;
const report = (tps: number) => control.call('POST', '/v1/deployments/b/load', { gateway: 'bench', output_tokens_per_second: tps, requests_in_flight: 0, releases: {} });
const seconds: { submittedS: number; runningS: number; readyS: number }[] = [];
try {
  await control.call('POST', '/v1/deployments', {
    name: 'b', model: 'tiny-chat', gpus_per_replica: 0, min_replicas: 1, max_replicas: 2, replica_capacity_tps: 100,
    replica_command: [process.execPath, '--import', 'tsx', FAKE, '--port', '{port}', '--max-seconds', '300'], workdir: process.cwd(), port_base: 24_000 + Math.floor(Math.random() * 10_000),
  });
  for (let step = 0; step < STEPS; step++) {
    const deadline = Date.now() + 60_000;
    while ((await view()).filter((r) => r.ready && !r.draining).length !== 1 || (await view()).length !== 1) {
      await report(0);
      if (Date.now() > deadline) throw new Error('no steady single replica');
      await sleep(100);
    }
    const before = new Set((await view()).map((r) => r.job_id));
    const t0 = performance.now();
    const marks: Partial<Record<'submittedS' | 'runningS' | 'readyS', number>> = {};
    while (marks.readyS === undefined) {
      await report(200); // twice one replica's capacity at the 70% target -> 2 replicas (the max)
      const fresh = (await view()).filter((r) => !before.has(r.job_id));
      const at = (performance.now() - t0) / 1000;
      if (fresh.length > 0) marks.submittedS ??= at;
      if (fresh.some((r) => r.state === 'running')) marks.runningS ??= at;
      if (fresh.some((r) => r.ready)) marks.readyS = at;
      if (Date.now() > deadline) throw new Error('the new replica did not become ready in 60 s');
      await sleep(20);
    }
    seconds.push(marks as { submittedS: number; runningS: number; readyS: number });
  }
  const med = (k: 'submittedS' | 'runningS' | 'readyS') => seconds.map((s) => s[k]).sort((a, b) => a - b)[Math.floor(seconds.length / 2)]!;
  process.stdout.write(JSON.stringify({
    what: 'load step -> new replica ready (local executor, fake replica process, plane tick 100 ms)', steps: STEPS,
    medianSubmittedSeconds: med('submittedS'), medianRunningSeconds: med('runningS'), medianReadySeconds: med('readyS'), steps_detail: seconds,
  }) + '\n');
} finally {
  await control.call('DELETE', '/v1/deployments/b').catch(() => undefined);
  for (let i = 0; i < 100 && (await cp.store.listJobs({ states: ['queued', 'running'] })).length > 0; i++) await sleep(100);
  await cp.close();
  rmSync(dataDir, { recursive: true, force: true });
}
