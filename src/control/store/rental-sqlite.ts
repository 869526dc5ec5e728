/** RentalTable on the SQLite store's database (./rental-table.ts). */
import type Database from 'better-sqlite3';
import type { ReleasedRentalRow, RentalRow, RentalState, RentalTable } from './rental-table.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rentals (node TEXT PRIMARY KEY, pool TEXT NOT NULL, provider TEXT NOT NULL, instance_id TEXT,
  state TEXT NOT NULL, launched_seconds REAL NOT NULL, price_per_hour_usd REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rentals_released (id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, pool TEXT NOT NULL,
  provider TEXT NOT NULL, instance_id TEXT, launched_seconds REAL NOT NULL, released_seconds REAL NOT NULL,
  gpus INTEGER NOT NULL, price_per_hour_usd REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rentals_released_pool ON rentals_released (pool, released_seconds);
`;

interface Row { node: string; pool: string; provider: string; instance_id: string | null; state: string; launched_seconds: number; price_per_hour_usd: number }
const toRentalRow = (r: Row): RentalRow => ({
  node: r.node, pool: r.pool, provider: r.provider, instanceId: r.instance_id, state: r.state as RentalState,
  launchedSeconds: r.launched_seconds, pricePerHourUsd: r.price_per_hour_usd,
});

interface ReleasedRow { node: string; pool: string; provider: string; instance_id: string | null; launched_seconds: number; released_seconds: number; gpus: number; price_per_hour_usd: number }
const toReleasedRow = (r: ReleasedRow): ReleasedRentalRow => ({
  node: r.node, pool: r.pool, provider: r.provider, instanceId: r.instance_id, launchedSeconds: r.launched_seconds,
  releasedSeconds: r.released_seconds, gpus: r.gpus, pricePerHourUsd: r.price_per_hour_usd,
});

export class SqliteRentalTable implements RentalTable {
  private readonly s;
  private readonly closeTx: (node: string, releasedSeconds: number, gpus: number) => boolean;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      put: p(`INSERT INTO rentals (node, pool, provider, instance_id, state, launched_seconds, price_per_hour_usd) VALUES (?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (node) DO UPDATE SET pool = excluded.pool, provider = excluded.provider, instance_id = excluded.instance_id,
              state = excluded.state, launched_seconds = excluded.launched_seconds, price_per_hour_usd = excluded.price_per_hour_usd`),
      list: p(`SELECT * FROM rentals ORDER BY node`),
      remove: p(`DELETE FROM rentals WHERE node = ?`),
      release: p(`INSERT INTO rentals_released (node, pool, provider, instance_id, launched_seconds, released_seconds, gpus, price_per_hour_usd)
                  SELECT node, pool, provider, instance_id, launched_seconds, ?, ?, price_per_hour_usd FROM rentals WHERE node = ?`),
      released: p(`SELECT * FROM rentals_released ORDER BY released_seconds, id`),
      releasedOf: p(`SELECT * FROM rentals_released WHERE pool = ? ORDER BY released_seconds, id`),
    };
    this.closeTx = db.transaction((node: string, releasedSeconds: number, gpus: number) => {
      if (this.s.release.run(releasedSeconds, gpus, node).changes === 0) return false;
      this.s.remove.run(node);
      return true;
    });
  }

  async put(r: RentalRow): Promise<void> {
    this.s.put.run(r.node, r.pool, r.provider, r.instanceId, r.state, r.launchedSeconds, r.pricePerHourUsd);
  }

  async list(): Promise<RentalRow[]> {
    return (this.s.list.all() as Row[]).map(toRentalRow);
  }

  async remove(node: string): Promise<boolean> {
    return this.s.remove.run(node).changes > 0;
  }

  async close(node: string, releasedSeconds: number, gpus: number): Promise<boolean> {
    return this.closeTx(node, releasedSeconds, gpus);
  }

  async listReleased(pool?: string): Promise<ReleasedRentalRow[]> {
    return ((pool === undefined ? this.s.released.all() : this.s.releasedOf.all(pool)) as ReleasedRow[]).map(toReleasedRow);
  }
}
