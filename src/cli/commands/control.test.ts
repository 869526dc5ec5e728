// The control-plane commands through the real launcher: `up` in the background, then submit,
// jobs, job, logs -f, cancel, token create, and the errors a user sees. Bounded waits; the
// server is stopped (SIGTERM) and the temp dir removed even when a check fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
// An empty GIGAFACTORY_URL must mean "not set" for these tests: drop empty values.
const clean = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));

test('cli: up, submit, jobs, job, logs -f, cancel, token create, and clear errors', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-cli-'));
  // Jobs run as an unprivileged user (gf-admin) where the tests run as root: it must reach the
  // job file's folder (the workdir) and pass through to the data dir.
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  let up: ChildProcess | undefined;
  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(join(ROOT, 'gigafactory'), args, { encoding: 'utf8', timeout: 60_000, env: clean({ ...process.env, GIGAFACTORY_URL: '', GIGAFACTORY_TOKEN: '', GIGAFACTORY_DATA_DIR: dataDir, ...env }) });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  try {
    const none = run(['jobs']);
    assert.equal(none.code, 2);
    assert.match(none.err, /^error: no control plane found/);

    up = spawn(join(ROOT, 'gigafactory'), ['up', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let upOut = '';
    up.stdout!.on('data', (d: Buffer) => { upOut += d.toString(); });
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dataDir, 'server.json')) || !/admin token/.test(upOut)) {
      assert.ok(Date.now() < deadline, 'up did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    assert.ok(upOut.includes(adminToken), 'up prints the new admin token');

    writeFileSync(join(dir, 'hello.yaml'), 'name: hello\nranks_per_node: 2\ncommand: [/bin/sh, -c, "echo hello from rank $RANK of $WORLD_SIZE in $(pwd)"]\n');
    const sub = run(['submit', join(dir, 'hello.yaml'), '--follow']);
    assert.equal(sub.code, 0, sub.err);
    const id = /^(job-\d+) queued/.exec(sub.out)?.[1];
    assert.ok(id, sub.out);
    assert.match(sub.out, new RegExp(`hello from rank 0 of 2 in ${dir}`), 'workdir defaults to the YAML file\'s folder');
    assert.match(sub.out, new RegExp(`${id} succeeded`));
    assert.match(run(['logs', id, '--rank', '1']).out, /hello from rank 1 of 2/);
    const show = run(['job', id]);
    assert.match(show.out, /succeeded/);
    assert.match(show.out, /all 2 ranks exited 0/);
    assert.match(run(['jobs']).out, new RegExp(`${id}\\s+hello\\s+admin\\s+succeeded`));

    writeFileSync(join(dir, 'sleep.yaml'), 'name: sleeper\ncommand: [sleep, "300"]\n');
    const sid = /^(job-\d+)/.exec(run(['submit', join(dir, 'sleep.yaml')]).out)?.[1];
    assert.ok(sid);
    const cancel = run(['cancel', sid]);
    assert.equal(cancel.code, 0, cancel.err);
    const until = Date.now() + 30_000;
    while (!/cancelled/.test(run(['job', sid]).out)) { assert.ok(Date.now() < until, 'not cancelled'); await new Promise((r) => setTimeout(r, 200)); }

    const tok = run(['token', 'create', '--tenant', 'research']);
    assert.equal(tok.code, 0, tok.err);
    const tenantToken = tok.out.trim();
    const url = (JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { url: string }).url;
    const asTenant = { GIGAFACTORY_URL: url, GIGAFACTORY_TOKEN: tenantToken, GIGAFACTORY_DATA_DIR: join(dir, 'elsewhere') };
    assert.equal(run(['jobs'], asTenant).out.trim(), 'no jobs', 'a tenant does not see the admin\'s jobs');
    const denied = run(['job', id], asTenant);
    assert.equal(denied.code, 2);
    assert.match(denied.err, /404/);
    assert.equal(run(['token', 'create', '--tenant', 'x'], asTenant).code, 2);

    writeFileSync(join(dir, 'bad.yaml'), 'name: bad\ncommand: [x]\nnodes: -2\ngpu: 1\n');
    const bad = run(['submit', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /bad\.yaml:3: nodes: got -2; expected a number >= 1/);
    assert.match(bad.err, /bad\.yaml:4: gpu: got 1; expected no such field/);
    assert.doesNotMatch(bad.err, /at .*\.ts:\d+/, 'no stack trace');
    assert.equal(run(['jobs', '--limit', 'many']).code, 2);
  } finally {
    if (up && up.exitCode === null) {
      up.kill('SIGTERM');
      await new Promise((r) => { const t = setTimeout(() => { up!.kill('SIGKILL'); r(undefined); }, 10_000); up!.once('exit', () => { clearTimeout(t); r(undefined); }); });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(up?.exitCode, 0, 'up stops cleanly on SIGTERM');
});
