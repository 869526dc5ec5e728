// `gigafactory up --executor sim` through the real launcher: the live control plane over the
// simulated nodes of a fleet; a job's ranks are simulated (no process), its log is followed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const clean = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== '' && !k.startsWith('GIGAFACTORY_')));

test('cli: up --executor sim runs a 64-node job on simulated h100-16k nodes; a missing --sim-fleet is a clear error', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-upsim-'));
  const dataDir = join(dir, 'data');
  let up: ChildProcess | undefined;
  const run = (args: string[]) => {
    const r = spawnSync(join(ROOT, 'gigafactory'), args, { encoding: 'utf8', timeout: 60_000, env: clean(process.env) });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  try {
    const bad = run(['up', '--executor', 'sim', '--data-dir', dataDir, '--port', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--sim-fleet/);
    assert.doesNotMatch(bad.err, /\n\s+at /, 'no stack trace');

    up = spawn(join(ROOT, 'gigafactory'), ['up', '--executor', 'sim', '--sim-fleet', 'h100-16k', '--sim-speed', '100', '--sim-failure-rate', '0', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: clean(process.env) });
    let upOut = '';
    up.stdout!.on('data', (d: Buffer) => { upOut += d.toString(); });
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dataDir, 'server.json')) || !/admin token/.test(upOut)) {
      assert.ok(Date.now() < deadline, `up did not start: ${upOut}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(upOut, /2,048 nodes, 16,384 GPUs: .*\(simulated: no process runs\)/);
    writeFileSync(join(dir, 'big.yaml'), 'name: big\nnodes: 64\nranks_per_node: 8\ngpus_per_node: 8\ncommand: [python3, train.py]\nenv:\n  GF_SIM_SECONDS: "100"\n');
    const sub = run(['submit', join(dir, 'big.yaml'), '--follow', '--data-dir', dataDir]);
    assert.equal(sub.code, 0, sub.err);
    assert.match(sub.out, /rank 0\/512 simulated on hall-a-\d+: 100 s at 100x/);
    assert.match(sub.out, /job-1 succeeded/);
    assert.match(run(['job', 'job-1', '--data-dir', dataDir]).out, /started: attempt 1 on nodes \d+-\d+/);
  } finally {
    up?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    up?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
