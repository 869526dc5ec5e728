/** RentalTable on the PostgreSQL store (./rental-table.ts), in the store's schema. */
import type pg from 'pg';
import type { RentalRow, RentalState, RentalTable } from './rental-table.ts';

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/** The table for the schema `s` (quoted); run inside the store's CREATE transaction. */
export const rentalSchemaSql = (s: string) => `
CREATE TABLE IF NOT EXISTS ${s}.rentals (node TEXT PRIMARY KEY, pool TEXT NOT NULL, provider TEXT NOT NULL, instance_id TEXT,
  state TEXT NOT NULL, launched_seconds DOUBLE PRECISION NOT NULL, price_per_hour_usd DOUBLE PRECISION NOT NULL);
`;

interface Row { node: string; pool: string; provider: string; instance_id: string | null; state: string; launched_seconds: number; price_per_hour_usd: number }

export class PgRentalTable implements RentalTable {
  private readonly t: string;

  /** `q` runs one statement; `writable` waits until this store may write (its lock is held). */
  constructor(private readonly q: Query, private readonly writable: () => Promise<void>, schema: string) {
    this.t = `"${schema}".rentals`;
  }

  async put(r: RentalRow): Promise<void> {
    await this.writable();
    await this.q(`INSERT INTO ${this.t} (node, pool, provider, instance_id, state, launched_seconds, price_per_hour_usd) VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (node) DO UPDATE SET pool = EXCLUDED.pool, provider = EXCLUDED.provider, instance_id = EXCLUDED.instance_id,
      state = EXCLUDED.state, launched_seconds = EXCLUDED.launched_seconds, price_per_hour_usd = EXCLUDED.price_per_hour_usd`,
    [r.node, r.pool, r.provider, r.instanceId, r.state, r.launchedSeconds, r.pricePerHourUsd]);
  }

  async list(): Promise<RentalRow[]> {
    return (await this.q<Row>(`SELECT * FROM ${this.t} ORDER BY node`)).rows.map((r) => ({
      node: r.node, pool: r.pool, provider: r.provider, instanceId: r.instance_id, state: r.state as RentalState,
      launchedSeconds: Number(r.launched_seconds), pricePerHourUsd: Number(r.price_per_hour_usd),
    }));
  }

  async remove(node: string): Promise<boolean> {
    await this.writable();
    return ((await this.q(`DELETE FROM ${this.t} WHERE node = $1`, [node])).rowCount ?? 0) > 0;
  }
}
