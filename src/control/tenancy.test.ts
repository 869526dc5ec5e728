// Tenants apart down to the process. From inside a real job of tenant A (local executor), try
// to read the admin token, the database, tenant B's logs and checkpoints and the plane's
// environment, and to write into B's area: every attempt must fail. User switching needs
// root; those cases skip with a message elsewhere. Every wait is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from './api/auth.ts';
import { adminTokenPath, attemptLogDir, checkpointDirOf, storePath, tenantDir, tenantsDir } from './layout.ts';
import { startControlPlane, type ControlPlane } from './server.ts';

// The API's answers, loosely: each test reads the few fields it checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const IS_ROOT = process.getuid?.() === 0;
const NOT_ROOT = !IS_ROOT && 'needs root: ranks run as per-tenant Unix users only where the plane can switch users (run the tests as root)';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(cp: ControlPlane, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: (await res.json()) as Json };
}

async function finished(cp: ControlPlane, id: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const j = await cp.store.getJob(id);
    if (j && ['succeeded', 'failed', 'cancelled'].includes(j.state)) return j.state;
    if (Date.now() > deadline) throw new Error(`${id} did not finish`);
    await sleep(50);
  }
}

test('tenancy: from inside tenant A\'s job, the admin token, the store, B\'s files and the plane\'s environment are out of reach', { skip: NOT_ROOT, timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-tenancy-'));
  process.env.GF_TEST_PLANE_SECRET = 'plane-secret-42';
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 100 });
  delete process.env.GF_TEST_PLANE_SECRET;
  try {
    await cp.store.addToken(hashToken('token-a'), { tenant: 'tenant-a', admin: false }, 0);
    await cp.store.addToken(hashToken('token-b'), { tenant: 'tenant-b', admin: false }, 0);
    // B writes a log line and a checkpoint.
    const b = await call(cp, 'token-b', 'POST', '/v1/jobs', { name: 'b', command: ['/bin/sh', '-c', 'echo secret-of-b; echo ckpt-of-b > "$GF_CHECKPOINT_DIR/ckpt"'] });
    assert.equal(b.status, 201, JSON.stringify(b.json));
    const bId = b.json.job.id as string;
    assert.equal(await finished(cp, bId), 'succeeded');
    const bJob = (await cp.store.getJob(bId))!;
    const bLog = join(attemptLogDir(dir, bJob, 1), 'rank-0.log');
    const bCkpt = join(checkpointDirOf(dir, bJob), 'ckpt');
    assert.match(readFileSync(bLog, 'utf8'), /secret-of-b/);

    // A tries everything; each line says LEAK or denied.
    const tries = [
      ['read the admin token', `cat ${adminTokenPath(dir)}`],
      ['read the database', `cat ${storePath(dir)}`],
      ['list the data dir', `ls ${dir}`],
      ['list the tenants', `ls ${tenantsDir(dir)}`],
      ['read B\'s log', `cat ${bLog}`],
      ['read B\'s checkpoint', `cat ${bCkpt}`],
      ['write into B\'s area', `touch ${tenantDir(dir, 'tenant-b')}/planted`],
      ['write into B\'s checkpoints', `touch ${join(checkpointDirOf(dir, bJob), 'evil')}`],
      ['see the plane\'s environment', 'env | grep -q plane-secret-42'],
      ['read the plane\'s /proc environ', `grep -q plane-secret-42 /proc/${process.pid}/environ`],
      ['be root', 'test "$(id -u)" = 0'],
    ];
    const script = [
      ...tries.map(([what, cmd]) => `if ${cmd} >/dev/null 2>&1; then echo "LEAK: ${what}"; else echo "denied: ${what}"; fi`),
      'echo "uid=$(id -u) user=$(id -un) home=$HOME path=$PATH"',
      // Rank 1 swaps its own log for a symlink to the admin token, hoping the plane serves it.
      `if [ "$RANK" = 1 ]; then rm -f "$GF_LOG_FILE"; ln -s ${adminTokenPath(dir)} "$GF_LOG_FILE"; fi`,
    ].join('\n');
    const a = await call(cp, 'token-a', 'POST', '/v1/jobs', { name: 'a', ranks_per_node: 2, command: ['/bin/sh', '-c', script] });
    assert.equal(a.status, 201, JSON.stringify(a.json));
    const aId = a.json.job.id as string;
    assert.equal(await finished(cp, aId), 'succeeded');
    const log = (await call(cp, 'token-a', 'GET', `/v1/jobs/${aId}/logs?rank=0`)).json.text as string;
    for (const [what] of tries) assert.match(log, new RegExp(`denied: ${what!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `${what}: ${log}`);
    assert.doesNotMatch(log, /LEAK/);
    assert.match(log, /uid=[1-9][0-9]* user=gf-tenant-a home=\S+tenants\/tenant-a path=\/usr\/local\/sbin:/);
    const swapped = await call(cp, 'token-a', 'GET', `/v1/jobs/${aId}/logs?rank=1`);
    assert.equal(swapped.status, 200);
    assert.doesNotMatch(swapped.json.text as string, new RegExp(cp.newAdminToken!), 'the plane served the admin token through a symlinked log');
    // B's checkpoint is intact; nothing was planted.
    assert.equal(readFileSync(bCkpt, 'utf8'), 'ckpt-of-b\n');

    // File modes: the plane's files are its own; each area belongs to its tenant's user.
    assert.equal(statSync(dir).mode & 0o777, 0o711);
    for (const f of [storePath(dir), adminTokenPath(dir), join(dir, 'plane-id')]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    const areaA = statSync(tenantDir(dir, 'tenant-a'));
    assert.equal(areaA.mode & 0o777, 0o700);
    assert.notEqual(areaA.uid, 0);
    assert.notEqual(areaA.uid, statSync(tenantDir(dir, 'tenant-b')).uid, 'each tenant its own user');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tenancy: job paths are checked at submit: 400 naming the field for kernel paths, the data dir and other tenants\' areas; nothing hangs', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-paths-'));
  const allowed = mkdtempSync(join(tmpdir(), 'gf-allowed-'));
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 100, allowPaths: [allowed] });
  try {
    await cp.store.addToken(hashToken('token-a'), { tenant: 'tenant-a', admin: false }, 0);
    const submit = (over: Record<string, unknown>, token = 'token-a') => call(cp, token, 'POST', '/v1/jobs', { name: 'p', command: ['/bin/true'], ...over });
    const refused: [Record<string, unknown>, string, RegExp][] = [
      [{ checkpoint_dir: '/proc/self/x' }, 'checkpoint_dir', /outside \/proc, \/sys and \/dev/],
      [{ workdir: '/proc/self' }, 'workdir', /outside \/proc/],
      [{ workdir: '/sys/kernel' }, 'workdir', /under \/sys/],
      [{ checkpoint_dir: '/dev/shm/x' }, 'checkpoint_dir', /under \/dev/],
      [{ checkpoint_dir: tenantDir(dir, 'tenant-b') + '/jobs/job-1/checkpoints' }, 'checkpoint_dir', /data dir/],
      [{ checkpoint_dir: `${tenantDir(dir, 'tenant-a')}/../tenant-b/x` }, 'checkpoint_dir', /data dir/],
      [{ workdir: '/tmp' }, 'workdir', /inside your area/],
      [{ workdir: 'relative/dir' }, 'workdir', /absolute path/],
    ];
    for (const [over, field, expected] of refused) {
      const r = await submit(over);
      assert.equal(r.status, 400, `${JSON.stringify(over)}: ${JSON.stringify(r.json)}`);
      const issue = (r.json.error.issues as { field: string; expected: string }[])[0]!;
      assert.equal(issue.field, field);
      assert.match(issue.expected, expected);
    }
    // The admin is not bound to the areas, but to the kernel and data-dir rules it is.
    assert.equal((await submit({ checkpoint_dir: '/proc/self/x' }, cp.newAdminToken!)).status, 400);
    assert.equal((await submit({ checkpoint_dir: storePath(dir) }, cp.newAdminToken!)).status, 400);
    // Accepted: the own area (relative checkpoint_dir made absolute against workdir) and allowed roots.
    const ok = await submit({ checkpoint_dir: 'ck' });
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    assert.equal(ok.json.job.spec.workdir, tenantDir(dir, 'tenant-a'));
    assert.equal(ok.json.job.spec.checkpoint_dir, join(tenantDir(dir, 'tenant-a'), 'ck'));
    assert.equal((await submit({ workdir: allowed, checkpoint_dir: 'ck' })).status, 201);
    // The plane still answers at once.
    assert.equal((await fetch(`${cp.url}/healthz`)).status, 200);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(allowed, { recursive: true, force: true });
  }
});

test('tenancy: a plane that cannot switch users says so and serves one tenant unless --single-user', { timeout: 30_000 }, async () => {
  for (const singleUser of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'gf-single-'));
    const lines: string[] = [];
    const cp = await startControlPlane({ dataDir: dir, port: 0, canSwitchUsers: false, singleUser, log: (l) => lines.push(l) });
    try {
      assert.ok(lines.some((l) => /single-user mode/.test(l)), lines.join('\n'));
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      const admin = cp.newAdminToken!;
      assert.equal((await call(cp, admin, 'POST', '/v1/tokens', { tenant: 'first' })).status, 201);
      assert.equal((await call(cp, admin, 'POST', '/v1/tokens', { tenant: 'first' })).status, 201, 'more tokens for the same tenant');
      const second = await call(cp, admin, 'POST', '/v1/tokens', { tenant: 'second' });
      if (singleUser) assert.equal(second.status, 201);
      else {
        assert.equal(second.status, 409);
        assert.match(second.json.error.message, /single-user mode.*--single-user/);
      }
    } finally {
      await cp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
