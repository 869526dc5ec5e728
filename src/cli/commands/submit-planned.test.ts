// `gigafactory submit FILE` of a planned job: the YAML's gang defaults must not reach the server as if given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../control/server.ts';
import { SimCluster, SimExecutor } from '../../control/sim/executor.ts';
import { FLEET_PRESETS } from '../../fleet/presets.ts';
import { buildTopology } from '../../fleet/topology.ts';
import { readJobFile } from './control.ts';

test('submit: a planned YAML job file is accepted and sized by the server; --dry-run stores nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-submit-planned-'));
  const fleet = FLEET_PRESETS['h100-16k']!;
  const cp = await startControlPlane({ dataDir: join(dir, 'data'), port: 0, tickMs: 100, executor: new SimExecutor(new SimCluster({ failuresPer1000NodeDays: 0 })), topology: buildTopology(fleet), fleet });
  try {
    const file = join(dir, 'job.yaml');
    writeFileSync(file, 'name: p\nmodel: llama3-8b\ntokens: 2T\ngpus: 256\ncommand: [python3, train.py]\nenv: { GF_SIM_SECONDS: inf }\n');
    const post = async (path: string) => {
      const res = await fetch(cp.url + path, { method: 'POST', headers: { authorization: `Bearer ${cp.newAdminToken!}`, 'content-type': 'application/json' }, body: JSON.stringify(readJobFile(file)) });
      return { status: res.status, body: await res.json() as { job?: { nodes: number; plan: { gpus: number } }; plan?: { gpus: number } } };
    };
    const dry = await post('/v1/jobs?dry_run=true');
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.equal(dry.body.plan?.gpus, 256);
    assert.equal((await cp.store.listJobs({})).length, 0, 'a dry run stores nothing');
    const r = await post('/v1/jobs');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.job?.nodes, 32);
    assert.equal(r.body.job?.plan.gpus, 256);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
