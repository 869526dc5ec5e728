import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreContract } from './contract.ts';
import { runNodeStoreContract } from './node-contract.ts';
import { SqliteStore } from './sqlite.ts';

for (const run of [runStoreContract, runNodeStoreContract]) run({
  name: 'sqlite',
  newStore: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gf-store-'));
    const path = join(dir, 'gf.db');
    return { store: new SqliteStore(path), reopen: async () => new SqliteStore(path), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
});

test('sqlite store: a data dir from before released rentals were kept opens with its live rentals, and they can be released', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-store-old-'));
  const path = join(dir, 'gf.db');
  try {
    // The rentals table as it was stored before rentals_released existed.
    const old = new Database(path);
    old.exec(`CREATE TABLE rentals (node TEXT PRIMARY KEY, pool TEXT NOT NULL, provider TEXT NOT NULL, instance_id TEXT,
      state TEXT NOT NULL, launched_seconds REAL NOT NULL, price_per_hour_usd REAL NOT NULL);
      INSERT INTO rentals VALUES ('oci-00000', 'oci', 'oracle', 'ocid1.instance.oc1..a', 'running', 100, 80);`);
    old.close();
    const s = new SqliteStore(path);
    try {
      assert.deepEqual((await s.rentals.list()).map((r) => [r.node, r.instanceId, r.launchedSeconds]), [['oci-00000', 'ocid1.instance.oc1..a', 100]]);
      assert.equal(await s.rentals.close('oci-00000', 3700, 8), true);
      assert.deepEqual((await s.rentals.listReleased('oci')).map((r) => [r.node, r.launchedSeconds, r.releasedSeconds, r.gpus, r.pricePerHourUsd]), [['oci-00000', 100, 3700, 8, 80]]);
    } finally { await s.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
