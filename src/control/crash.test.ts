// No crash window: SIGKILL `gigafactory up` at random moments while it launches and finishes
// short gangs, again and again. After a final restart every job succeeds (max_restarts 0: a
// restart counted against a job because of the plane's own death would fail it), and no job
// that finished (every rank recorded exit 0) ever starts again. Bounded: 8 kill cycles of at
// most ~1 s each, then 60 s for the queue to drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../lib/rng.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(join(ROOT, 'gigafactory'), ['up', '--data-dir', dataDir, '--port', '0', '--local-nodes', '4'], { stdio: ['ignore', 'ignore', 'ignore'] });
  const info = join(dataDir, 'server.json');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (existsSync(info)) {
      try {
        const s = JSON.parse(readFileSync(info, 'utf8')) as { url: string; pid: number };
        if (s.pid === child.pid) return { child, url: s.url };
      } catch { /* being replaced */ }
    }
    if (Date.now() > deadline || child.exitCode !== null) { child.kill('SIGKILL'); throw new Error('control plane did not start'); }
    await sleep(50);
  }
}

const exited = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once('exit', r)));

interface JobJson { id: string; name: string; state: string; attempt: number; restarts: number; reason: string | null }

test('crash safety: SIGKILL of up around launches never reruns a finished job nor fails one', { timeout: 180_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gf-crash-'));
  const marks = mkdtempSync(join(tmpdir(), 'gf-crash-marks-'));
  chmodSync(marks, 0o777); // ranks run as an unprivileged user where tests run as root
  const rng = new Rng(7);
  // Each rank appends "<attempt> start|done <rank>" to its job's file.
  const command = ['/bin/sh', '-c', `f=${marks}/$GF_JOB_ID; echo "$GF_ATTEMPT start $RANK" >> $f; sleep 0.$((RANK * 2 + 1)); echo "$GF_ATTEMPT done $RANK" >> $f`];
  let child: ChildProcess | undefined;
  let submitted = 0;
  try {
    for (let cycle = 0; cycle < 8; cycle++) {
      const s = await startServer(dataDir);
      child = s.child;
      const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${s.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `c${cycle}-${i}`, ranks_per_node: 2, max_restarts: 0, command }) }).catch(() => undefined);
        if (res?.status === 201) submitted++;
      }
      await sleep(Math.floor(rng.next() * 900));
      child.kill('SIGKILL');
      await exited(child);
    }
    const s = await startServer(dataDir);
    child = s.child;
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    let jobs: JobJson[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      jobs = ((await (await fetch(`${s.url}/v1/jobs?limit=1000`, { headers: { authorization: `Bearer ${token}` } })).json()) as { jobs: JobJson[] }).jobs;
      if (jobs.every((j) => ['succeeded', 'failed', 'cancelled'].includes(j.state))) break;
      await sleep(200);
    }
    assert.equal(jobs.length, submitted);
    for (const j of jobs) assert.equal(j.state, 'succeeded', `${j.id} ${j.state} after control-plane restarts: ${j.reason}`);
    let reruns = 0;
    for (const j of jobs) {
      const lines = readFileSync(join(marks, j.id), 'utf8').trim().split('\n').map((l) => l.split(' '));
      const done = new Map<string, number>();
      for (const [attempt, what] of lines) if (what === 'done') done.set(attempt!, (done.get(attempt!) ?? 0) + 1);
      const finished = [...done].filter(([, n]) => n === 2).map(([a]) => Number(a));
      assert.deepEqual(finished, [j.attempt], `${j.id}: exactly one attempt finished, the last (${JSON.stringify(lines)})`);
      assert.ok(lines.every(([attempt]) => Number(attempt) <= j.attempt), `${j.id}: nothing started after the finished attempt`);
      reruns += j.attempt - 1;
    }
    t.diagnostic(`${jobs.length} jobs across 8 SIGKILLs of up; ${reruns} attempt(s) requeued without counting; ${readdirSync(marks).length} jobs ran`);
    child.kill('SIGTERM');
    await exited(child);
    child = undefined;
  } finally {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(marks, { recursive: true, force: true });
  }
});
