// A data dir made before tokens had a life cycle opens as is: its tokens still work, gain the new columns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite.ts';

test('sqlite: an older tokens table (no expiry or revocation columns) is extended in place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-admin-mig-'));
  try {
    const path = join(dir, 'gf.db');
    const old = new Database(path);
    old.exec('CREATE TABLE tokens (hash TEXT PRIMARY KEY, tenant TEXT NOT NULL, admin INTEGER NOT NULL, created_seconds REAL NOT NULL)');
    old.prepare('INSERT INTO tokens VALUES (?, ?, ?, ?)').run('c'.repeat(64), 'admin', 1, 5);
    old.close();
    const s = new SqliteStore(path);
    try {
      assert.deepEqual(await s.findToken('c'.repeat(64)), { tenant: 'admin', admin: true });
      assert.equal(await s.countAdminTokens(), 1);
      assert.equal((await s.revokeToken('c'.repeat(16), 9))?.revokedSeconds, 9);
    } finally { await s.close(); }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
