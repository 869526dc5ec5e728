/**
 * Opens the control plane's store from one string: a postgres:// (or postgresql://) URL ->
 * PostgresStore (many machines), anything else -> a SQLite file path (this machine, the
 * default). Used by `gigafactory up --store` and GIGAFACTORY_STORE.
 */
import { PostgresStore } from './postgres.ts';
import { isPostgresUrl } from './pg-url.ts';
import { SqliteStore, type SqliteStoreOptions } from './sqlite.ts';
import type { Store } from './types.ts';

export interface OpenStoreOptions {
  /** SQLite only (PostgreSQL's durability is the server's synchronous_commit). */
  readonly synchronous?: SqliteStoreOptions['synchronous'];
}

export async function openStore(urlOrPath: string, options: OpenStoreOptions = {}): Promise<Store> {
  // A control plane's store: PostgreSQL takes the one-control-plane-per-store lock.
  if (isPostgresUrl(urlOrPath)) return PostgresStore.open(urlOrPath, { exclusive: true });
  return new SqliteStore(urlOrPath, options.synchronous !== undefined ? { synchronous: options.synchronous } : {});
}
