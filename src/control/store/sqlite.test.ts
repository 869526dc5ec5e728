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
