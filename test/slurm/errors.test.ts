// Slurm missing or unreachable: clear errors saying what to install or start, quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCli, SlurmUnavailableError } from '../../src/control/slurm/slurm-cli.ts';
import { SlurmExecutor } from '../../src/control/slurm/executor.ts';
import { renderSlurmConfig } from '../../src/control/slurm/conf.ts';
import { smallTopology, writeConfigFiles } from '../../src/control/slurm/local-cluster.ts';
import { isUserError } from '../../src/lib/errors.ts';
import { slurmMissing } from './cluster-hooks.ts';

const spec = (dir: string) => ({
  jobId: 'j1', attempt: 1, name: 'x', command: ['true'], workdir: dir, env: {}, nodes: 1, ranksPerNode: 1, gpusPerNode: 0,
  checkpointDir: join(dir, 'ckpt'), nodeNames: [], logDir: join(dir, 'logs'),
});

test('Slurm not installed: a user error naming the command and the package to install', async () => {
  const path = process.env['PATH'];
  process.env['PATH'] = '/nonexistent-bin';
  try {
    await assert.rejects(new SlurmCli().run('sbatch', ['--version']), (e: unknown) => e instanceof SlurmUnavailableError && isUserError(e) && /sbatch/.test(e.message) && /apt-get install -y slurm-wlm munge/.test(e.message));
  } finally {
    process.env['PATH'] = path;
  }
});

// Without Slurm the missing binary is reported first (the test above); this needs sbatch present.
test('a slurm.conf that does not exist fails at once (not after Slurm\'s 60 s retry)', { skip: slurmMissing }, async () => {
  const ex = new SlurmExecutor({ confPath: '/nonexistent/slurm.conf' });
  const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-err-'));
  try {
    await assert.rejects(ex.launch(spec(dir)), (e: unknown) => e instanceof SlurmUnavailableError && /\/nonexistent\/slurm.conf not found/.test(e.message) && /SLURM_CONF/.test(e.message));
  } finally {
    await ex.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a controller that is not running: launch and status say to start slurmctld; nothing is tracked', { skip: slurmMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-slurm-err-'));
  // A configuration for a cluster whose daemons were never started (port 1: nothing listens).
  const files = renderSlurmConfig(smallTopology(2), { clusterName: 'gf', controllerHost: 'x', hardwareOf: () => ({ cpus: 8, realMemoryMiB: 1024 }), local: { dir, controllerPort: 1, firstNodePort: 2, mungeSocket: join(dir, 'none.sock') } });
  const confPath = writeConfigFiles(files, join(dir, 'etc'));
  const ex = new SlurmExecutor({ confPath });
  try {
    await assert.rejects(ex.launch(spec(dir)), (e: unknown) => e instanceof SlurmUnavailableError && /unreachable/.test(e.message) && /start munged and slurmctld/.test(e.message));
    await assert.rejects(ex.cli.jobs(), (e: unknown) => e instanceof SlurmUnavailableError && /unreachable/.test(e.message));
  } finally {
    await ex.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
