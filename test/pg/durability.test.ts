/**
 * Durability with the PostgreSQL store: during bursts of submissions, SIGKILL the control
 * plane (`gigafactory up --store postgres://...`) and crash the PostgreSQL server itself
 * (SIGQUIT: no checkpoint; WAL replay on start) while `up` keeps running. After each server
 * restart the running `up` must accept submissions again without a restart of its own; at
 * the end every accepted (2xx) job is there exactly once with the id it was given, and every
 * refusal while the database was down was a 503.
 * Bounded: 4 cycles of at most ~1 s of submissions, 120 s overall. Skips only when
 * PostgreSQL is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../../src/lib/rng.ts';
import { findPostgresBin, startTempPostgres } from '../../src/control/store/pg-temp.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startUp(dataDir: string, store: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(join(ROOT, 'gigafactory'), ['up', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, GIGAFACTORY_STORE: store } });
  const info = join(dataDir, 'server.json');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (existsSync(info)) {
      let s: { url: string; pid: number } | undefined;
      try { s = JSON.parse(readFileSync(info, 'utf8')) as { url: string; pid: number }; } catch { /* being written: read again */ }
      if (s && s.pid === child.pid) return { child, url: s.url };
    }
    if (Date.now() > deadline || child.exitCode !== null) { child.kill('SIGKILL'); throw new Error(`control plane did not start (exit ${child.exitCode})`); }
    await sleep(50);
  }
}

const exited = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once('exit', r)));

test('postgres durability: SIGKILLed control planes and crashed PostgreSQL lose no accepted job, duplicate none', {
  timeout: 120_000,
  skip: findPostgresBin() ? false : 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql',
}, async (t) => {
  const pg = await startTempPostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'gf-pg-durable-'));
  const store = `${pg.url}?schema=durable`;
  const rng = new Rng(42);
  const accepted = new Map<string, string>(); // name -> id
  const refusals = new Map<number, number>(); // HTTP status -> count
  let child: ChildProcess | undefined;
  try {
    for (let cycle = 0; cycle < 4; cycle++) {
      const s = await startUp(dataDir, store);
      child = s.child;
      const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
      let stop = false;
      let n = 0;
      let acceptedAfterDbRestart = 0;
      let dbRestarted = false;
      const submitter = async (w: number) => {
        while (!stop) {
          const name = `c${cycle}-w${w}-${n++}`;
          try {
            const res = await fetch(`${s.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, command: ['/bin/true'], max_restarts: 0 }) });
            if (res.ok) {
              accepted.set(name, ((await res.json()) as { job: { id: string } }).job.id);
              if (dbRestarted) acceptedAfterDbRestart++;
            } else {
              refusals.set(res.status, (refusals.get(res.status) ?? 0) + 1);
              await res.arrayBuffer();
              await sleep(20); // the database is down: a client backs off
            }
          } catch { return; /* the control plane died mid-request: not accepted */ }
        }
      };
      const workers = [0, 1, 2, 3].map(submitter);
      await sleep(150 + Math.floor(rng.next() * 350));
      if (cycle % 2 === 1) {
        // Crash the database under a running control plane, bring it back, keep submitting.
        await pg.crash();
        await sleep(100);
        await pg.start();
        dbRestarted = true;
        const deadline = Date.now() + 15_000;
        while (acceptedAfterDbRestart < 5 && Date.now() < deadline) await sleep(50);
        assert.ok(acceptedAfterDbRestart >= 5, `the running control plane accepts submissions again after the database restarts (${acceptedAfterDbRestart})`);
      }
      child.kill('SIGKILL');
      stop = true;
      await Promise.all(workers);
      await exited(child);
    }
    assert.ok(accepted.size > 0, 'some submissions were accepted');
    assert.deepEqual([...refusals.keys()].filter((st) => st !== 503), [], 'while the database is down the API answers 503, never 500');
    assert.ok((refusals.get(503) ?? 0) > 0, 'submissions during the database crash were refused with 503');
    const s = await startUp(dataDir, store);
    child = s.child;
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const res = await fetch(`${s.url}/v1/jobs?limit=10000`, { headers: { authorization: `Bearer ${token}` } });
    const jobs = ((await res.json()) as { jobs: { id: string; name: string }[] }).jobs;
    const byName = new Map<string, string[]>();
    for (const j of jobs) byName.set(j.name, [...(byName.get(j.name) ?? []), j.id]);
    assert.equal(new Set(jobs.map((j) => j.id)).size, jobs.length, 'ids are unique');
    for (const [name, id] of accepted) assert.deepEqual(byName.get(name), [id], `accepted job ${name} must be there exactly once as ${id}`);
    for (const [name, ids] of byName) assert.equal(ids.length, 1, `${name} duplicated`);
    t.diagnostic(`${accepted.size} accepted across 2 control-plane SIGKILLs and 2 PostgreSQL crashes; ${jobs.length} stored`);
    child.kill('SIGTERM');
    await exited(child);
    child = undefined;
  } finally {
    child?.kill('SIGKILL');
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
