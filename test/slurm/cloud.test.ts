// Slurm cloud bursting for real: rented pools as cloud nodes that Slurm's own power saving
// resumes (through `gigafactory slurm resume`, after the pool's lead time) and suspends after
// idle; and node weights that make Slurm place work on owned nodes before rented ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript } from '../../src/control/slurm/local-cluster.ts';
import { slurmMissing, useCluster } from './cluster-hooks.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const CLI = join(ROOT, 'gigafactory');
const CLOUD_FLEET = join(ROOT, 'test/slurm/fleet-cloud.yaml');

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(file, args, { cwd: ROOT, timeout: 60_000, env: { ...process.env, PATH: `${process.env['PATH']}:/usr/sbin`, ...env } }, (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

/** `sinfo` node states by name (`idle~`: powered down, `#`: powering up, `%`: powering down). */
async function nodeStates(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const r = await run('sinfo', ['-h', '-N', '-p', 'all', '-o', '%N %t'], env);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
}

async function waitFor<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('slurm resume rejects an owned or unknown node, naming the rented pools', async () => {
  const r = await run(CLI, ['slurm', 'resume', 'hall-a-00000', '--fleet', CLOUD_FLEET, '--local', tmpdir()]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /NODES: got "hall-a-00000"; expected a node of one of fleet slurm-cloud-test's rented pools: oci \(2 nodes\)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const p = await run(CLI, ['slurm', 'resume', 'oci-00000', '--fleet', CLOUD_FLEET]);
  assert.equal(p.code, 2);
  assert.match(p.stderr, /pools\[oci\]\.compartment_id: missing; expected the pool's OCI compartment OCID/);
});

test('cloud nodes: more work than the owned node holds powers a rented node up after its lead time, runs, powers it down after idle', { skip: slurmMissing, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-cloud-'));
  const env = { SLURM_CONF: join(dir, 'etc', 'slurm.conf') };
  try {
    const up = await run(CLI, ['slurm', 'up', CLOUD_FLEET, '--dir', dir, '--cloud', '--suspend-time', '3']);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(await nodeStates(env), { 'hall-a-00000': 'idle', 'oci-00000': 'idle~', 'oci-00001': 'idle~' });
    const sb = await run('sbatch', ['-N', '2', '-o', join(dir, 'job-%j.out'), '--wrap', 'hostname'], env);
    assert.equal(sb.code, 0, sb.stderr);
    const jobId = /Submitted batch job (\d+)/.exec(sb.stdout)![1]!;
    // Slurm asks for one cloud node; it joins after the pool's 4 s lead time and the job runs there.
    await waitFor('the job to finish', 120, async () => ((await run('squeue', ['-h', '-j', jobId, '-o', '%T'], env)).stdout.trim() === '' ? true : undefined));
    const power = readFileSync(join(dir, 'log', 'power.log'), 'utf8');
    assert.match(power, /^resume oci-0000[01]: pool oci \(oracle\), joins in 4 s$/m);
    assert.equal(readFileSync(join(dir, `job-${jobId}.out`), 'utf8'), 'vm\n'.replace('vm', (await run('hostname', [])).stdout.trim()));
    // Idle past SuspendTime: Slurm runs the SuspendProgram, which stops the node's slurmd.
    const resumed = /^resume (oci-\d+)/m.exec(power)![1]!;
    const released = new RegExp(`^suspend ${resumed}: pool oci \\(oracle\\), released$`, 'm');
    await waitFor('the cloud node to power down', 60, async () => (released.test(readFileSync(join(dir, 'log', 'power.log'), 'utf8')) ? true : undefined));
    assert.match((await nodeStates(env))[resumed]!, /[~%]$/, 'Slurm counts it powered down (or powering down)');
    assert.equal((await nodeStates(env))['hall-a-00000'], 'idle', 'the owned node is never powered down');
  } finally {
    await runScript(['down', dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

if (slurmMissing === false) {
  const cluster = useCluster();

  test('node weights: a 2-node job lands on owned nodes while the rented ones sit idle', async () => {
    const env = { SLURM_CONF: cluster.get().confPath };
    const sb = await run('sbatch', ['-N', '2', '--wrap', 'sleep 1', '-o', '/dev/null'], env);
    assert.equal(sb.code, 0, sb.stderr);
    const jobId = /Submitted batch job (\d+)/.exec(sb.stdout)![1]!;
    const nodes = await waitFor('the job to start', 30, async () => {
      const out = (await run('squeue', ['-h', '-j', jobId, '-o', '%T %N'], env)).stdout.trim();
      return out.startsWith('RUNNING') ? out.split(' ')[1] : undefined;
    });
    assert.match(nodes, /^hall-a-\[0000[0-3][-,]0000[0-3]\]$/);
  });
}
