/** RentalTable on the SQLite store's database (./rental-table.ts). */
import type Database from 'better-sqlite3';
import type { RentalRow, RentalState, RentalTable } from './rental-table.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rentals (node TEXT PRIMARY KEY, pool TEXT NOT NULL, provider TEXT NOT NULL, instance_id TEXT,
  state TEXT NOT NULL, launched_seconds REAL NOT NULL, price_per_hour_usd REAL NOT NULL);
`;

interface Row { node: string; pool: string; provider: string; instance_id: string | null; state: string; launched_seconds: number; price_per_hour_usd: number }
const toRentalRow = (r: Row): RentalRow => ({
  node: r.node, pool: r.pool, provider: r.provider, instanceId: r.instance_id, state: r.state as RentalState,
  launchedSeconds: r.launched_seconds, pricePerHourUsd: r.price_per_hour_usd,
});

export class SqliteRentalTable implements RentalTable {
  private readonly s;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      put: p(`INSERT INTO rentals (node, pool, provider, instance_id, state, launched_seconds, price_per_hour_usd) VALUES (?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (node) DO UPDATE SET pool = excluded.pool, provider = excluded.provider, instance_id = excluded.instance_id,
              state = excluded.state, launched_seconds = excluded.launched_seconds, price_per_hour_usd = excluded.price_per_hour_usd`),
      list: p(`SELECT * FROM rentals ORDER BY node`),
      remove: p(`DELETE FROM rentals WHERE node = ?`),
    };
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
}
