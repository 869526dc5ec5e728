/** A RentalTable in memory, for tests and planes without a store (the stores' own pass ./node-contract.ts). */
import type { ReleasedRentalRow, RentalRow, RentalTable } from './rental-table.ts';

export class MemoryRentalTable implements RentalTable {
  readonly rows = new Map<string, RentalRow>();
  readonly released: ReleasedRentalRow[] = [];
  async put(r: RentalRow): Promise<void> { this.rows.set(r.node, r); }
  async list(): Promise<RentalRow[]> { return [...this.rows.values()].sort((a, b) => a.node.localeCompare(b.node)); }
  async remove(node: string): Promise<boolean> { return this.rows.delete(node); }
  async close(node: string, releasedSeconds: number, gpus: number): Promise<boolean> {
    const r = this.rows.get(node);
    if (r === undefined) return false;
    this.rows.delete(node);
    this.released.push({ node, pool: r.pool, provider: r.provider, instanceId: r.instanceId, launchedSeconds: r.launchedSeconds, releasedSeconds, gpus, pricePerHourUsd: r.pricePerHourUsd });
    return true;
  }
  async listReleased(pool?: string): Promise<ReleasedRentalRow[]> {
    return this.released.filter((r) => pool === undefined || r.pool === pool).sort((a, b) => a.releasedSeconds - b.releasedSeconds);
  }
}
