/**
 * `gigafactory up --store postgres://...` end to end: the real CLI, a real job, a real
 * throwaway PostgreSQL. A second `up` on the same store is refused (exit 2, no stack trace);
 * after a SIGKILL of the first, a new `up` (store from GIGAFACTORY_STORE) starts at once and
 * serves the jobs from PostgreSQL. Every wait is bounded; processes, server and temp dirs are
 * cleaned up even when an assertion fails. Skips only when PostgreSQL is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findPostgresBin, startTempPostgres } from '../../src/control/store/pg-temp.ts';
import { waitFor } from '../helpers/wait-for.ts';

const root = resolve(import.meta.dirname, '../..');
/** p, or 'timeout' after ms (the timer does not keep the test process alive). */
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);

interface Proc { child: ChildProcess; out: () => string; exited: Promise<number | null> }

function gigafactory(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(join(root, 'gigafactory'), args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => { text += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { text += d.toString(); });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, out: () => text, exited };
}

/** The URL `up` prints once it listens; throws with its output if it exits first. */
const serverUrl = (p: Proc) => waitFor('the control plane to listen', () => {
  const m = /control plane on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(p.out());
  if (m) return m[1];
  if (p.child.exitCode !== null) throw new Error(`up exited ${p.child.exitCode}:\n${p.out()}`);
  return undefined;
});

test('up --store postgres: jobs run and live in PostgreSQL; one control plane per store; a SIGKILLed one is replaced at once', {
  skip: findPostgresBin() ? false : 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql',
}, async () => {
  const pg = await startTempPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'gf-pg-cp-'));
  chmodSync(dir, 0o755); // jobs run as gf-admin where tests run as root: it passes through to the data dirs
  const procs: Proc[] = [];
  const store = `${pg.url}?schema=e2e`;
  try {
    const first = gigafactory(['up', '--store', store, '--port', '0', '--data-dir', join(dir, 'a')]);
    procs.push(first);
    const url = await serverUrl(first);
    const token = readFileSync(join(dir, 'a', 'admin-token'), 'utf8').trim();
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: await res.json() as { job: { id: string; state: string } } };
    };
    const sub = await call(url, 'POST', '/v1/jobs', { name: 'hello', command: ['/bin/sh', '-c', 'echo hi'] });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    const id = sub.body.job.id;
    await waitFor(`${id} to succeed`, async () => ((await call(url, 'GET', `/v1/jobs/${id}`)).body.job.state === 'succeeded' ? true : undefined));

    // A second control plane on the same store is refused with a clear message.
    const second = gigafactory(['up', '--port', '0', '--data-dir', join(dir, 'b')], { GIGAFACTORY_STORE: store });
    procs.push(second);
    assert.equal(await within(second.exited, 30_000), 2, second.out());
    assert.match(second.out(), /^error: the store .* is in use by gigafactory up on /m);
    assert.doesNotMatch(second.out(), /\n\s+at /, 'no stack trace');

    // SIGKILL the first: its lock goes with its connection, so a new up starts on the same data.
    first.child.kill('SIGKILL');
    await first.exited;
    const third = gigafactory(['up', '--port', '0', '--data-dir', join(dir, 'a')], { GIGAFACTORY_STORE: store });
    procs.push(third);
    const url3 = await serverUrl(third);
    const after = await call(url3, 'GET', `/v1/jobs/${id}`);
    assert.equal(after.body.job.state, 'succeeded');
  } finally {
    for (const p of procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGTERM');
        if (await within(p.exited, 10_000) === 'timeout') p.child.kill('SIGKILL');
      }
    }
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
