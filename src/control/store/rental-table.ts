/**
 * Rented instances in the control plane's store (SQLite or PostgreSQL, next to the jobs): which
 * fleet node a provider rented, its instance id (an OCI OCID), when it was launched and its
 * hourly price. Written before the provider is asked (the intent, no instance yet), updated once
 * the provider accepts, removed once the instance is given back; so a restarted plane finds
 * every instance it may have paid for and re-adopts it instead of launching another or leaking it.
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

export interface RentalTable {
  /** Creates or replaces the node's rental (one statement). */
  put(row: RentalRow): Promise<void>;
  /** Every rental, by node name. */
  list(): Promise<RentalRow[]>;
  /** Forgets the node's rental (its instance is gone); false when there was none. */
  remove(node: string): Promise<boolean>;
}
