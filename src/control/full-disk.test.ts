/**
 * A full disk and a read-only disk, for real: a few-MB tmpfs in a private mount namespace
 * (root only; gone when the child exits, so nothing is left mounted). During operation a
 * full disk gets 507 naming the cause, and the plane serves again once space returns with
 * nothing stored lost; `up` on a read-only or full data dir prints one error, exits 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const why = process.getuid?.() !== 0 ? 'needs root to mount a small tmpfs (CI runs as root)'
  : !['/usr/bin/unshare', '/bin/unshare'].some(existsSync) ? 'needs unshare (apt-get install -y util-linux)' : false;

/** Runs a shell script in a private mount namespace; its mounts vanish with it. */
function inNamespace(script: string, timeoutMs = 60_000) {
  return spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
}

test('full disk during operation: 507 naming the cause, no internal error; space back -> submits succeed, nothing lost', { skip: why, timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-full-'));
  try {
    const r = inNamespace(`mount -t tmpfs -o size=3m none '${dir}' && exec node --import tsx test/helpers/full-disk-child.ts '${dir}'`);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: { status: number }; full: { status: number; text: string }[]; after: { status: number }[]; jobs: string[]; internalErrors: number };
    assert.equal(out.before.status, 201);
    for (const f of out.full) {
      assert.equal(f.status, 507, f.text);
      assert.match(f.text, /no space left for the control plane's store \(SQLITE_FULL/);
    }
    assert.deepEqual(out.after.map((a) => a.status), [201, 201]);
    assert.deepEqual(out.jobs, ['before', 'after-1', 'after-2']);
    assert.equal(out.internalErrors, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up on a read-only or full data dir: one error line naming the cause and the fix, exit 2, no stack trace', { skip: why, timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-up-ro-'));
  try {
    const r = inNamespace([
      `mkdir -p '${dir}/ro' '${dir}/full'`,
      `mount -t tmpfs -o size=1m none '${dir}/ro' && mkdir '${dir}/ro/d' && mount -o remount,ro '${dir}/ro'`,
      `mount -t tmpfs -o size=1m none '${dir}/full' && mkdir '${dir}/full/d' && (dd if=/dev/zero of='${dir}/full/fill' bs=64k 2>/dev/null; true)`,
      `timeout 30 ./gigafactory up --data-dir '${dir}/ro/d' --port 0; echo "exit=$?"`,
      `timeout 30 ./gigafactory up --data-dir '${dir}/full/d' --port 0; echo "exit=$?"`,
    ].join('\n'));
    assert.deepEqual([...`${r.stdout}`.matchAll(/exit=(\d+)/g)].map((m) => m[1]), ['2', '2'], r.stdout + r.stderr);
    assert.match(r.stderr, /^error: cannot write the data dir .*\/ro\/d: read-only or not permitted \(EROFS/m);
    assert.match(r.stderr, /^error: no space left for the data dir .*\/full\/d \(ENOSPC/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
