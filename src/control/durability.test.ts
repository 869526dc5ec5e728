// Durability: SIGKILL the control-plane process again and again during a burst of
// submissions; after a restart every accepted (2xx) job is there exactly once, with the id it
// was given. Bounded: 5 kill cycles of at most ~0.5 s of submissions each, 120 s overall.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../lib/rng.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(join(ROOT, 'gigafactory'), ['up', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'ignore', 'ignore'] });
  const info = join(dataDir, 'server.json');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (existsSync(info)) {
      // A file left by the killed server names the old pid; wait for the new one.
      const s = JSON.parse(readFileSync(info, 'utf8')) as { url: string; pid: number };
      if (s.pid === child.pid) return { child, url: s.url };
    }
    if (Date.now() > deadline || child.exitCode !== null) { child.kill('SIGKILL'); throw new Error('control plane did not start'); }
    await sleep(50);
  }
}

test('durability: every accepted job survives repeated SIGKILL of the server, exactly once', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gf-durable-'));
  const rng = new Rng(42);
  const accepted = new Map<string, string>(); // name -> id
  let child: ChildProcess | undefined;
  try {
    for (let cycle = 0; cycle < 5; cycle++) {
      const s = await startServer(dataDir);
      child = s.child;
      const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
      let stop = false;
      let n = 0;
      const submitter = async (w: number) => {
        while (!stop) {
          const name = `c${cycle}-w${w}-${n++}`;
          try {
            const res = await fetch(`${s.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, command: ['/bin/true'], max_restarts: 0 }) });
            if (res.ok) accepted.set(name, ((await res.json()) as { job: { id: string } }).job.id);
          } catch { return; /* the server died mid-request: not accepted */ }
        }
      };
      const workers = [0, 1, 2, 3].map(submitter);
      // Kill at a random moment once submissions are being accepted (at most 10 s of waiting).
      const firstBy = Date.now() + 10_000;
      const before = accepted.size;
      while (accepted.size === before && Date.now() < firstBy) await sleep(10);
      await sleep(100 + Math.floor(rng.next() * 400));
      child.kill('SIGKILL');
      stop = true;
      await Promise.all(workers);
      await new Promise((r) => (child!.exitCode !== null || child!.signalCode !== null ? r(undefined) : child!.once('exit', r)));
    }
    assert.ok(accepted.size > 0, 'some submissions were accepted');
    const s = await startServer(dataDir);
    child = s.child;
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const res = await fetch(`${s.url}/v1/jobs?limit=10000`, { headers: { authorization: `Bearer ${token}` } });
    const jobs = ((await res.json()) as { jobs: { id: string; name: string }[] }).jobs;
    const byName = new Map<string, string[]>();
    for (const j of jobs) byName.set(j.name, [...(byName.get(j.name) ?? []), j.id]);
    assert.equal(new Set(jobs.map((j) => j.id)).size, jobs.length, 'ids are unique');
    for (const [name, id] of accepted) assert.deepEqual(byName.get(name), [id], `accepted job ${name} must be there exactly once as ${id}`);
    for (const [name, ids] of byName) assert.equal(ids.length, 1, `${name} duplicated`);
    t.diagnostic(`${accepted.size} accepted across 5 SIGKILLs; ${jobs.length} stored`);
    child.kill('SIGTERM');
    await new Promise((r) => (child!.exitCode !== null ? r(undefined) : child!.once('exit', r)));
    child = undefined;
  } finally {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
