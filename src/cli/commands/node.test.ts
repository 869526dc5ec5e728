// `gigafactory nodes` and `gigafactory node ...` through the real launcher against an in-process
// control plane (fake executor): drain shows in the list, bad input exits 2 without a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeExecutor } from '../../control/fake-executor.ts';
import { SimCluster, SimExecutor } from '../../control/sim/executor.ts';
import { adminTokenPath, startControlPlane } from '../../control/server.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Runs the launcher without blocking this process's event loop (the plane serves in-process). */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const p = spawn(join(ROOT, 'gigafactory'), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = ''; let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => { clearTimeout(t); done({ code, out, err }); });
  });
}

test('cli: node drain/resume/down and nodes; bad action and unknown node exit 2 naming the fix', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-node-cli-'));
  const cp = await startControlPlane({
    dataDir: dir, port: 0, tickMs: 50, executor: new FakeExecutor(60_000),
    topology: { nodes: [0, 1].map((index) => ({ index, name: `gpu-${index}`, gpuType: 'h100' as const, gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false })), leafCount: 1, spineCount: 1 },
  });
  try {
    const env = { GIGAFACTORY_URL: cp.url, GIGAFACTORY_TOKEN: readFileSync(adminTokenPath(dir), 'utf8').trim() };
    const drained = await run(['node', 'drain', 'gpu-1', '--reason', 'bad DIMM'], env);
    assert.equal(drained.code, 0, drained.err);
    assert.equal(drained.out, 'gpu-1: drain (bad DIMM)\n');
    const list = await run(['nodes'], env);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^NAME\s+STATE\s+GPUS\s+IN_USE\s+POOL\s+REASON\n/);
    assert.match(list.out, /gpu-1\s+drained\s+8 h100\s+0\s+hall\s+bad DIMM/);
    assert.match((await run(['nodes', '--state', 'up'], env)).out, /gpu-0/);
    const bad = await run(['node', 'sideways', 'gpu-1'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /ACTION.*sideways.*drain, resume, down/);
    assert.doesNotMatch(bad.err, /\n\s+at /, 'no stack trace');
    const unknown = await run(['node', 'down', 'gpu-7'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /gpu-0, gpu-1/);
    assert.equal((await run(['node', 'resume', 'gpu-1'], env)).out, 'gpu-1: up\n');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: nodes --state repair lists a node the sim executor is repairing', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-node-cli-'));
  // Seed 1 at 100x: the first drawn repair lasts about 13 minutes of wall time.
  const cluster = new SimCluster({ nodes: ['gpu-0', 'gpu-1'], speed: 100, failuresPer1000NodeDays: 0, seed: 1 });
  const cp = await startControlPlane({
    dataDir: dir, port: 0, tickMs: 50, executor: new SimExecutor(cluster),
    topology: { nodes: [0, 1].map((index) => ({ index, name: `gpu-${index}`, gpuType: 'h100' as const, gpus: 8, leaf: 0, spine: 0, pool: 'hall', rented: false })), leafCount: 1, spineCount: 1 },
  });
  try {
    const env = { GIGAFACTORY_URL: cp.url, GIGAFACTORY_TOKEN: readFileSync(adminTokenPath(dir), 'utf8').trim() };
    cluster.failNode('gpu-0', 'hbm');
    const list = await run(['nodes', '--state', 'repair'], env);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^NAME\s+STATE\s+GPUS\s+IN_USE\s+POOL\s+REASON\ngpu-0\s+repair\s+8 h100\s+0\s+hall\s+in repair, back by about 20\d\d-/);
    assert.doesNotMatch(list.out, /gpu-1/);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
