// Executor.recover on the local executor: a new executor (a restarted plane) tells an
// attempt's fate from its exit records and this plane's processes alone, without the handle
// the dead plane never recorded. And exit records are whole or absent, never misread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LaunchSpec } from '../executor.ts';
import { readRankExit } from '../exit-files.ts';
import { rankExitFile } from '../layout.ts';
import { LocalExecutor } from './executor.ts';
import { isAlive } from './proc.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) { if (Date.now() > deadline) throw new Error(`timed out: ${what}`); await sleep(20); }
}

let seq = 0;
async function withDir(fn: (dir: string, spec: (cmd: string) => LaunchSpec) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gf-recover-'));
  const spec = (cmd: string): LaunchSpec => ({
    jobId: `job-r${process.pid}-${++seq}`, attempt: 1, name: 'r', command: ['/bin/sh', '-c', cmd], workdir: dir, env: { OUT: dir },
    nodes: 1, ranksPerNode: 2, gpusPerNode: 0, checkpointDir: join(dir, 'ck'), nodeNames: ['n'], logDir: join(dir, `logs-${seq}`),
  });
  try { await fn(dir, spec); } finally { rmSync(dir, { recursive: true, force: true }); }
}
const ref = (s: LaunchSpec) => ({ jobId: s.jobId, attempt: s.attempt, logDir: s.logDir, ranks: s.nodes * s.ranksPerNode });

test('recover: a gang that finished while no plane watched is finished with its real exit code, handle or not', async () => {
  await withDir(async (_dir, spec) => {
    const first = new LocalExecutor({ pollMs: 10_000, planeId: 'p1' });
    const ok = spec('exit 0');
    const bad = spec('if [ "$RANK" = 1 ]; then exit 3; fi; exit 0');
    await first.launch(ok);
    await first.launch(bad);
    await first.close(); // the plane dies before it records either handle
    await until('exit records', () => [ok, bad].every((s) => existsSync(rankExitFile(s.logDir, 0)) && existsSync(rankExitFile(s.logDir, 1))));
    const second = new LocalExecutor({ planeId: 'p1' });
    try {
      const mtime = (s: LaunchSpec, rank: number) => readRankExit(s.logDir, rank)!.mtimeMs / 1000;
      // It ended when its exit records say, not when this plane looked: the last rank's for a success, the failed rank's for a failure.
      assert.deepEqual(await second.recover(ref(ok)), { state: 'finished', exitCode: 0, reason: 'all 2 ranks exited 0', endSeconds: Math.max(mtime(ok, 0), mtime(ok, 1)) });
      assert.deepEqual(await second.recover(ref(bad)), { state: 'finished', exitCode: 3, reason: 'rank 1 exited with code 3', endSeconds: mtime(bad, 1) });
    } finally { await second.close(); }
  });
});

test('recover: a live gang is re-adopted without its handle and reports its end; another plane id does not see it', async () => {
  await withDir(async (dir, spec) => {
    const first = new LocalExecutor({ planeId: 'p2' });
    const s = spec(`echo $$ > "$OUT/pid.$RANK"; while [ ! -f "$OUT/go" ]; do sleep 0.05; done`);
    await first.launch(s);
    await first.close();
    await until('ranks up', () => existsSync(join(dir, 'pid.0')) && existsSync(join(dir, 'pid.1')));
    const stranger = new LocalExecutor({ planeId: 'someone-else' });
    const second = new LocalExecutor({ planeId: 'p2', pollMs: 50 });
    try {
      const seen = await stranger.recover(ref(s));
      assert.equal(seen.state, 'lost', 'another plane finds none of these processes ...');
      const pids = [0, 1].map((r) => Number(readFileSync(join(dir, `pid.${r}`), 'utf8')));
      for (const pid of pids) assert.ok(isAlive(pid), '... and kills none of them');
      const ended = new Promise<unknown>((r, fail) => {
        const t = setTimeout(() => fail(new Error('the re-adopted gang never reported its end')), 10_000);
        second.onEvent((e) => { if (e.type === 'exited') { clearTimeout(t); r(e); } });
      });
      assert.deepEqual(await second.recover(ref(s)), { state: 'running' });
      writeFileSync(join(dir, 'go'), '');
      assert.deepEqual(await ended, { type: 'exited', jobId: s.jobId, attempt: 1, exitCode: 0, reason: 'all 2 ranks exited 0' });
    } finally { await stranger.close(); await second.stop(s.jobId, 1, 'cleanup'); await second.close(); }
  });
});

test('recover: nothing launched is never-started; a half-dead gang is lost and its survivors are stopped', async () => {
  await withDir(async (dir, spec) => {
    const ex = new LocalExecutor({ planeId: 'p3' });
    try {
      assert.equal((await ex.recover(ref(spec('true')))).state, 'never-started');
      const s = spec(`echo $$ > "$OUT/pid.$RANK"; exec sleep 300`);
      const first = new LocalExecutor({ planeId: 'p3', pollMs: 10_000 });
      await first.launch(s);
      await first.close();
      await until('ranks up', () => existsSync(join(dir, 'pid.0')) && existsSync(join(dir, 'pid.1')));
      const [p0, p1] = [0, 1].map((r) => Number(readFileSync(join(dir, `pid.${r}`), 'utf8')));
      // Rank 1's whole group (its wrapper too) dies as with the host: no exit record.
      const st = readFileSync(`/proc/${p1}/stat`, 'latin1');
      process.kill(-Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[2]), 'SIGKILL');
      await until('rank 1 gone', () => !isAlive(p1!));
      const r = await ex.recover(ref(s));
      assert.equal(r.state, 'lost', JSON.stringify(r));
      assert.match(r.state === 'lost' ? r.reason : '', /rank\(s\) 1 gone/);
      await until('rank 0 stopped', () => !isAlive(p0!), 6000);
    } finally { await ex.close(); }
  });
});

test('exit records: an empty or partial file is no record (not exit 1); a FIFO does not block the plane', async () => {
  await withDir(async (dir) => {
    writeFileSync(rankExitFile(dir, 0), '');
    writeFileSync(rankExitFile(dir, 1), '1');
    writeFileSync(rankExitFile(dir, 2), '0\n');
    writeFileSync(rankExitFile(dir, 3), 'garbage');
    execFileSync('mkfifo', [rankExitFile(dir, 4)]);
    assert.equal(readRankExit(dir, 0), undefined);
    assert.equal(readRankExit(dir, 1)?.code, 1);
    assert.equal(readRankExit(dir, 2)?.code, 0);
    assert.equal(readRankExit(dir, 3), undefined);
    assert.equal(readRankExit(dir, 4), undefined);
    assert.equal(readRankExit(dir, 5), undefined);
  });
});
