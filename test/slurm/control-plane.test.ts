// The control plane (store, reconciler, Gigafactory's scheduler) running jobs on a real Slurm
// cluster: a 2-node GPU gang's environment, cancel, and a node failing mid-run with the job
// requeued and restarted from its checkpoint. Each test is bounded by waitFor's deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../src/control/server.ts';
import { parseJobSpec } from '../../src/control/job-spec.ts';
import { adminTokenPath, attemptLogDir, checkpointDirOf } from '../../src/control/layout.ts';
import { SlurmExecutor } from '../../src/control/slurm/executor.ts';
import { readSlurmTopology } from '../../src/control/slurm/cluster-topology.ts';
import type { JobRecord } from '../../src/control/store/types.ts';
import { slurmMissing, useCluster } from './cluster-hooks.ts';
import { waitFor } from '../helpers/wait-for.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


if (slurmMissing !== false) {
  test('Slurm control plane', { skip: slurmMissing }, () => undefined);
} else {
  const cluster = useCluster();

  async function withControlPlane(fn: (cp: ControlPlane, dir: string, submit: (spec: Record<string, unknown>) => Promise<JobRecord>) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-cp-'));
    chmodSync(dir, 0o777); // jobs run as the tenant's Unix user (gf-test): the workdir is theirs too
    const executor = new SlurmExecutor({ confPath: cluster.get().confPath, pollMs: 100 });
    const cp = await startControlPlane({ dataDir: join(dir, 'data'), port: 0, executor, topology: await readSlurmTopology(executor.cli), tickMs: 100 });
    const submit = async (spec: Record<string, unknown>) => {
      const { job } = await cp.store.submitJob({ tenant: 'test', spec: parseJobSpec({ workdir: dir, ...spec }), submitSeconds: Date.now() / 1000 });
      cp.reconciler.kick();
      return job;
    };
    try {
      await fn(cp, dir, submit);
    } finally {
      await cp.close();
      await executor.cli.scancel((await executor.cli.jobs()).filter((j) => j.state === 'RUNNING' || j.state === 'PENDING').map((j) => j.jobId)).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const ended = (cp: ControlPlane, id: string) => async () => {
    const j = await cp.store.getJob(id);
    return j && ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
  };

  test('a 2-node job gets 8 GPUs per node on the nodes Gigafactory\'s scheduler chose, one rendezvous', async () => {
    await withControlPlane(async (cp, dir, submit) => {
      const job = await submit({
        name: 'env', nodes: 2, ranks_per_node: 2, gpus_per_node: 8,
        command: ['/bin/sh', '-c', 'env | grep -E "^(RANK|WORLD_SIZE|NODE_RANK|GF_NODE_NAME|CUDA_VISIBLE_DEVICES|MASTER_ADDR|MASTER_PORT|GF_JOB_ID)=" | sort > "env.$RANK"'],
      });
      const done = await waitFor('the job to end', ended(cp, job.id));
      assert.equal(done.state, 'succeeded', done.reason);
      const [attempt] = await cp.store.listAttempts(job.id);
      const chosen = attempt!.nodeIndices.map((i) => cp.topology.nodes[i]!.name);
      assert.equal(new Set(chosen).size, 2);
      const envs = [0, 1, 2, 3].map((r) => Object.fromEntries(readFileSync(join(dir, `env.${r}`), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])));
      for (const [rank, env] of envs.entries()) {
        assert.equal(env['RANK'], String(rank));
        assert.equal(env['WORLD_SIZE'], '4');
        assert.equal(env['GF_JOB_ID'], job.id);
        assert.equal(env['CUDA_VISIBLE_DEVICES']!.split(',').length, 8);
        assert.equal(env['GF_NODE_NAME'], chosen[Number(env['NODE_RANK'])], 'rank runs on the node the scheduler chose');
      }
      assert.equal(new Set(envs.map((e) => `${e['MASTER_ADDR']}:${e['MASTER_PORT']}`)).size, 1);
    });
  });

  test('tenancy on Slurm: the job is submitted as the tenant\'s user, with a clean environment, and cannot read the admin token', async () => {
    process.env.GF_TEST_PLANE_SECRET = 'plane-secret-7';
    try {
      await withControlPlane(async (cp, dir, submit) => {
        const token = adminTokenPath(cp.dataDir);
        const job = await submit({ name: 'who', nodes: 1, command: ['/bin/sh', '-c', `id -un > who; env > env.dump; if cat ${token} > /dev/null 2>&1; then echo yes > leak; fi`] });
        const done = await waitFor('the job to end', ended(cp, job.id));
        assert.equal(done.state, 'succeeded', done.reason);
        assert.equal(readFileSync(join(dir, 'who'), 'utf8').trim(), 'gf-test');
        assert.doesNotMatch(readFileSync(join(dir, 'env.dump'), 'utf8'), /plane-secret-7/, 'the plane\'s environment reached the job');
        assert.equal(existsSync(join(dir, 'leak')), false, 'the job read the admin token');
      });
    } finally {
      delete process.env.GF_TEST_PLANE_SECRET;
    }
  });

  test('cancel: the Slurm job is cancelled and the job ends cancelled', async () => {
    await withControlPlane(async (cp, dir, submit) => {
      const job = await submit({ name: 'long', nodes: 1, command: ['/bin/sh', '-c', 'echo $$ > pid; exec sleep 120'] });
      await waitFor('the rank to start', async () => (existsSync(join(dir, 'pid')) ? true : undefined));
      await cp.store.requestCancel(job.id, Date.now() / 1000);
      cp.reconciler.kick();
      const done = await waitFor('the job to end', ended(cp, job.id));
      assert.equal(done.state, 'cancelled');
      const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      await waitFor('the rank process to exit', async () => (existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8')) ? undefined : true), 10_000);
    });
  });

  test('a node set DOWN mid-run fails the attempt (NODE_FAIL); the job restarts from its checkpoint and finishes', async () => {
    await withControlPlane(async (cp, _dir, submit) => {
      // Rank 0 checkpoints its step counter every step; a restart resumes from it.
      const train = [
        'step=$(cat "$GF_CHECKPOINT_DIR/step" 2>/dev/null || echo 0)',
        'echo "attempt $GF_ATTEMPT resumes at step $step"',
        'while [ "$step" -lt 40 ]; do step=$((step + 1)); sleep 0.1',
        '  if [ "$RANK" = 0 ]; then echo "$step" > "$GF_CHECKPOINT_DIR/step.tmp" && mv "$GF_CHECKPOINT_DIR/step.tmp" "$GF_CHECKPOINT_DIR/step"; fi',
        'done; echo "done at step $step"',
      ].join('\n');
      const job = await submit({ name: 'train', nodes: 2, gpus_per_node: 8, max_restarts: 2, command: ['/bin/bash', '-c', train] });
      const running = await waitFor('a checkpoint past step 5', async () => {
        const j = await cp.store.getJob(job.id);
        const ckpt = join(checkpointDirOf(cp.dataDir, job), 'step');
        return j?.state === 'running' && existsSync(ckpt) && Number(readFileSync(ckpt, 'utf8')) >= 5 ? j : undefined;
      });
      const victim = cp.topology.nodes[running.nodeIndices[1]!]!.name;
      const env = { ...process.env, SLURM_CONF: cluster.get().confPath };
      execFileSync('scontrol', ['update', `NodeName=${victim}`, 'State=DOWN', 'Reason=gf-test-node-failure'], { env });
      try {
        const done = await waitFor('the job to finish after the restart', ended(cp, job.id), 40_000);
        assert.equal(done.state, 'succeeded', done.reason);
        const attempts = await cp.store.listAttempts(job.id);
        assert.equal(attempts.length, 2);
        assert.equal(attempts[0]!.outcome, 'node-lost', 'NODE_FAIL is the hardware\'s failure, not counted against max_restarts');
        assert.match(attempts[0]!.reason ?? '', /NODE_FAIL/);
        const log2 = readFileSync(join(attemptLogDir(cp.dataDir, job, 2), 'rank-0.log'), 'utf8');
        const resumedAt = Number(/resumes at step (\d+)/.exec(log2)?.[1]);
        assert.ok(resumedAt >= 5, `attempt 2 resumed from the checkpoint (step ${resumedAt}), not from 0`);
        assert.match(log2, /done at step 40/);
      } finally {
        // RESUME the node for the next test (refused if it is already up).
        try { execFileSync('scontrol', ['update', `NodeName=${victim}`, 'State=RESUME'], { env, stdio: 'ignore' }); } catch { /* already up */ }
      }
    });
  });

  test('placement left to Slurm: no --nodelist, Slurm picks the nodes and the gang still runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-place-'));
    const ex = new SlurmExecutor({ confPath: cluster.get().confPath, placement: 'slurm', pollMs: 100 });
    try {
      const done = new Promise<string>((res) => ex.onEvent((e) => { if (e.type === 'exited' || e.type === 'failed') res(JSON.stringify(e)); }));
      const logDir = join(dir, 'logs');
      // The scheduler's choice (a node that does not even exist) is ignored in this mode.
      await ex.launch({ jobId: 'p1', attempt: 1, name: 'p', command: ['/bin/sh', '-c', 'echo "$GF_NODE_NAME" > "node.$RANK"'], workdir: dir, env: {}, nodes: 2, ranksPerNode: 1, gpusPerNode: 8, checkpointDir: join(dir, 'ck'), nodeNames: ['ghost-1', 'ghost-2'], logDir });
      const end = await Promise.race([done, sleep(20_000).then(() => 'timeout')]);
      assert.match(end, /"exitCode":0/);
      assert.doesNotMatch(readFileSync(join(logDir, 'job.sbatch'), 'utf8'), /--nodelist/);
      const nodes = [0, 1].map((r) => readFileSync(join(dir, `node.${r}`), 'utf8').trim());
      assert.equal(new Set(nodes).size, 2);
      for (const n of nodes) assert.ok(cluster.get().nodeNames.includes(n), n);
    } finally {
      await ex.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sbatch rejection: the job fails with Slurm\'s own message, and the store keeps it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-rej-'));
    chmodSync(dir, 0o755); // tenants' users pass through to the data dir below
    const executor = new SlurmExecutor({ confPath: cluster.get().confPath, pollMs: 100 });
    const real = await readSlurmTopology(executor.cli);
    // The control plane believes in a node Slurm does not have: sbatch --nodelist is refused.
    const topology = { nodes: [{ ...real.nodes[0]!, index: 0, leaf: 0, spine: 0, name: 'ghost-00000' }], leafCount: 1, spineCount: 1 };
    const cp = await startControlPlane({ dataDir: join(dir, 'data'), port: 0, executor, topology, tickMs: 100 });
    try {
      const { job } = await cp.store.submitJob({ tenant: 'test', spec: parseJobSpec({ name: 'ghost', nodes: 1, max_restarts: 0, workdir: dir, command: ['true'] }), submitSeconds: Date.now() / 1000 });
      cp.reconciler.kick();
      const done = await waitFor('the job to fail', async () => {
        const j = await cp.store.getJob(job.id);
        return j?.state === 'failed' ? j : undefined;
      });
      assert.match(done.reason ?? '', /sbatch rejected by Slurm: .*(Invalid node name|node configuration)/i);
      assert.equal((await cp.store.listJobs({})).length, 1, 'the job is still in the store');
    } finally {
      await cp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
