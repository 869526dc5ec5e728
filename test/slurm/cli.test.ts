// The `gigafactory slurm` and `up --executor slurm` commands as a user runs them (subprocesses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attemptLogDir } from '../../src/control/layout.ts';
import { runScript, findFreePorts } from '../../src/control/slurm/local-cluster.ts';
import { slurmMissing, useCluster } from './cluster-hooks.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const CLI = join(ROOT, 'gigafactory');

function gf(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(CLI, args, { cwd: ROOT, timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

test('slurm up with a fleet too large for one machine: exit 2, the field and the limit, nothing started', async () => {
  const dir = join(tmpdir(), `gf-slurm-none-${process.pid}`);
  const r = await gf(['slurm', 'up', 'colossus-100k', '--dir', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: FLEET: got "colossus-100k"; expected a fleet of at most 64 nodes/m);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(dir), false);
});

test('slurm config rejects a bad --port naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-cfg-'));
  try {
    const r = await gf(['slurm', 'config', 'h100-16k', '--out', join(dir, 'etc'), '--local', dir, '--port', 'eighty']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port: got "eighty"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the configuration `slurm config` writes for 12,500 nodes loads in a real slurmctld (nodes, GPUs, switches)', { skip: slurmMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-big-'));
  try {
    // Only the controller listens; the 12,500 slurmd ports after it must stay below 65536.
    let port = await findFreePorts(1);
    while (port > 50_000) port = await findFreePorts(1);
    const r = await gf(['slurm', 'config', 'colossus-100k', '--out', join(dir, 'etc'), '--local', dir, '--port', String(port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /12500 nodes, (\d+) switches/);
    const switches = Number(/(\d+) switches/.exec(r.stdout)![1]);
    await runScript(['controller', dir]);
    const env = { ...process.env, SLURM_CONF: join(dir, 'etc', 'slurm.conf') };
    const sinfo = await new Promise<string>((res, rej) => execFile('sinfo', ['-h', '-p', 'all', '-o', '%D %G'], { env }, (e, out) => (e ? rej(e) : res(out))));
    assert.equal(sinfo.trim(), '12500 gpu:h100:8');
    const topo = await new Promise<string>((res, rej) => execFile('scontrol', ['show', 'topology'], { env, maxBuffer: 64 << 20 }, (e, out) => (e ? rej(e) : res(out))));
    assert.equal(topo.split('\n').filter((l) => l.startsWith('SwitchName=')).length, switches);
  } finally {
    await runScript(['down', dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

if (slurmMissing === false) {
  const cluster = useCluster();

  test('gigafactory up --executor slurm runs a submitted 2-node job on the Slurm cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-up-'));
    chmodSync(dir, 0o755); // the job's Unix user (gf-admin) passes through to the data dir
    const data = join(dir, 'data');
    const up = spawn(CLI, ['up', '--executor', 'slurm', '--slurm-conf', cluster.get().confPath, '--data-dir', data, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    up.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('admin token') && Date.now() < deadline && up.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /cluster: {2}hall-a-00000 \(8 h100 GPUs\)/);
      const r = await gf(['submit', join(ROOT, 'test/slurm/hello-job.yaml'), '-f', '--data-dir', data]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      // Owned nodes first: the rented oci-* nodes sit idle while hall-a has room.
      assert.match(r.stdout, /rank 0\/4 on hall-a-\d+ \(node 0\), GPUs 0,1,2,3,4,5,6,7/);
      assert.match(r.stdout, /job-1 succeeded/);
      assert.ok(existsSync(join(attemptLogDir(data, { id: 'job-1', tenant: 'admin' }, 1), 'job.sbatch')));
      assert.match(readFileSync(join(attemptLogDir(data, { id: 'job-1', tenant: 'admin' }, 1), 'job.sbatch'), 'utf8'), /#SBATCH --nodelist=/);
    } finally {
      up.kill('SIGTERM');
      await new Promise((r) => { if (up.exitCode !== null) r(undefined); else up.once('exit', r); setTimeout(r, 10_000); });
      if (up.exitCode === null) up.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
