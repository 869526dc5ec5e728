import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExecutorContract } from '../executor-contract.ts';
import { LocalExecutor } from './executor.ts';
import { isAlive } from './proc.ts';

runExecutorContract({ name: 'local', newExecutor: () => new LocalExecutor({ pollMs: 50, stopGraceMs: 1000 }) });

test('local executor: stop of an attempt it never tracked kills the ranks found by their environment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-orphan-'));
  const first = new LocalExecutor({ pollMs: 50 });
  const second = new LocalExecutor({ pollMs: 50 });
  try {
    await first.launch({ jobId: `job-orphan${process.pid}`, attempt: 3, name: 'o', command: ['/bin/sh', '-c', `sleep 120 & echo $! > ${dir}/child.$RANK; wait`], workdir: dir, env: {}, nodes: 1, ranksPerNode: 2, gpusPerNode: 0, checkpointDir: join(dir, 'ck'), nodeNames: ['n'], logDir: join(dir, 'logs') });
    const deadline = Date.now() + 10_000;
    while (!(existsSync(join(dir, 'child.0')) && existsSync(join(dir, 'child.1')))) { assert.ok(Date.now() < deadline); await new Promise((r) => setTimeout(r, 50)); }
    const pids = [0, 1].map((r) => Number(readFileSync(join(dir, `child.${r}`), 'utf8')));
    await first.close(); // the control plane "dies" without recording the handle
    await second.stop(`job-orphan${process.pid}`, 3, 'lost');
    for (const pid of pids) assert.equal(isAlive(pid), false, `orphan ${pid} survived`);
  } finally {
    await first.stop(`job-orphan${process.pid}`, 3, 'cleanup');
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
