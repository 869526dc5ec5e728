/**
 * Rented instances in the control plane's store (SQLite or PostgreSQL, next to the jobs): which
 * fleet node a provider rented, its instance id (an OCI OCID), when it was launched and its
 * hourly price. Written before the provider is asked (the intent, no instance yet), updated once
 * the provider accepts, and once the instance is given back moved to the released rentals with
 * its release time (`close`); so a restarted plane finds every instance it may have paid for and
 * re-adopts it instead of launching another or leaking it, and the pool's cost (GET /v1/pools,
 * ../rental-cost.ts) is derived from the store and survives restarts. A launch that never got an
 * instance is forgotten (`remove`): nothing was paid for it.
 *
 * The released rentals are their own append-only table (`rentals_released`) because a node is
 * rented many times over its life and `rentals` is keyed by node: no stored table changes shape,
 * so a data dir from before opens as it is (CREATE TABLE IF NOT EXISTS) and loses nothing.
 */
export type RentalState = 'launching' | 'provisioning' | 'running';

export interface RentalRow {
  /** The fleet node the instance becomes (its display name at the provider). */
  readonly node: string;
  readonly pool: string;
  /** `oracle`, ... (the pool's `provider`). */
  readonly provider: string;
  /** The provider's id of the instance (an OCID); null while the launch request is in flight. */
  readonly instanceId: string | null;
  readonly state: RentalState;
  /** When the launch was asked (epoch seconds). */
  readonly launchedSeconds: number;
  /** The node's price per hour (the pool's price per GPU-hour x its GPUs). */
  readonly pricePerHourUsd: number;
}

/** A rental given back: what it cost is derived from these (../rental-cost.ts). */
export interface ReleasedRentalRow {
  readonly node: string;
  readonly pool: string;
  readonly provider: string;
  readonly instanceId: string | null;
  readonly launchedSeconds: number;
  /** When it was given back (epoch seconds). */
  readonly releasedSeconds: number;
  readonly gpus: number;
  readonly pricePerHourUsd: number;
}

export interface RentalTable {
  /** Creates or replaces the node's rental (one statement). */
  put(row: RentalRow): Promise<void>;
  /** Every rental, by node name. */
  list(): Promise<RentalRow[]>;
  /** Forgets the node's rental (a launch that never got an instance); false when there was none. */
  remove(node: string): Promise<boolean>;
  /**
   * The node's instance was given back at `releasedSeconds`: its rental moves to the released
   * ones with its `gpus` (one statement, so it is never lost nor counted twice); false when there was none.
   */
  close(node: string, releasedSeconds: number, gpus: number): Promise<boolean>;
  /** Released rentals, oldest release first (of `pool` only when given). */
  listReleased(pool?: string): Promise<ReleasedRentalRow[]>;
}
