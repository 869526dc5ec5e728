/** RentalTable on the PostgreSQL store (./rental-table.ts), in the store's schema. */
import type pg from 'pg';
import type { ReleasedRentalRow, RentalRow, RentalState, RentalTable } from './rental-table.ts';

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/** The table for the schema `s` (quoted); run inside the store's CREATE transaction. */
export const rentalSchemaSql = (s: string) => `
CREATE TABLE IF NOT EXISTS ${s}.rentals (node TEXT PRIMARY KEY, pool TEXT NOT NULL, provider TEXT NOT NULL, instance_id TEXT,
  state TEXT NOT NULL, launched_seconds DOUBLE PRECISION NOT NULL, price_per_hour_usd DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.rentals_released (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL, pool TEXT NOT NULL,
  provider TEXT NOT NULL, instance_id TEXT, launched_seconds DOUBLE PRECISION NOT NULL, released_seconds DOUBLE PRECISION NOT NULL,
  gpus INTEGER NOT NULL, price_per_hour_usd DOUBLE PRECISION NOT NULL);
CREATE INDEX IF NOT EXISTS rentals_released_pool ON ${s}.rentals_released (pool, released_seconds);
`;

interface Row { node: string; pool: string; provider: string; instance_id: string | null; state: string; launched_seconds: number; price_per_hour_usd: number }

interface ReleasedRow { node: string; pool: string; provider: string; instance_id: string | null; launched_seconds: number; released_seconds: number; gpus: number; price_per_hour_usd: number }

export class PgRentalTable implements RentalTable {
  private readonly t: string;
  private readonly released: string;

  /** `q` runs one statement; `writable` waits until this store may write (its lock is held). */
  constructor(private readonly q: Query, private readonly writable: () => Promise<void>, schema: string) {
    this.t = `"${schema}".rentals`;
    this.released = `"${schema}".rentals_released`;
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

  async close(node: string, releasedSeconds: number, gpus: number): Promise<boolean> {
    await this.writable();
    // One statement: the row leaves `rentals` and enters `rentals_released` together.
    return ((await this.q(`WITH gone AS (DELETE FROM ${this.t} WHERE node = $1 RETURNING *)
      INSERT INTO ${this.released} (node, pool, provider, instance_id, launched_seconds, released_seconds, gpus, price_per_hour_usd)
      SELECT node, pool, provider, instance_id, launched_seconds, $2, $3, price_per_hour_usd FROM gone`, [node, releasedSeconds, gpus])).rowCount ?? 0) > 0;
  }

  async listReleased(pool?: string): Promise<ReleasedRentalRow[]> {
    const rows = pool === undefined
      ? await this.q<ReleasedRow>(`SELECT * FROM ${this.released} ORDER BY released_seconds, id`)
      : await this.q<ReleasedRow>(`SELECT * FROM ${this.released} WHERE pool = $1 ORDER BY released_seconds, id`, [pool]);
    return rows.rows.map((r) => ({
      node: r.node, pool: r.pool, provider: r.provider, instanceId: r.instance_id, launchedSeconds: Number(r.launched_seconds),
      releasedSeconds: Number(r.released_seconds), gpus: Number(r.gpus), pricePerHourUsd: Number(r.price_per_hour_usd),
    }));
  }
}
