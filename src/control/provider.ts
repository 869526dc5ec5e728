/**
 * The provider contract: where rented nodes come from. `provision(pool, n)` asks for n nodes of
 * a pool; they join (`onJoin`) after the pool's lead time; `release(nodes)` gives them back.
 * The lifecycle decides when (src/sched/rent-policy.ts, the same policy `gigafactory sim`
 * runs); the provider only carries it out. Real providers (Oracle Cloud, Slurm cloud nodes)
 * implement this same interface; `SimulatedProvider` is the one for `--executor sim`.
 */
import type { ClusterTopology, PoolSpec } from '../fleet/types.ts';
import { wallSecondsOf } from './cluster-time.ts';
import type { RentalTable } from './store/rental-table.ts';

/** What a provider is doing, for the queue's reasons: nodes on the way, and its last refusal. */
export interface ProviderStatus {
  readonly provisioningNodes: number;
  /** The provider's last refusal (e.g. OCI's out-of-capacity message) and when it tries again. */
  readonly problem?: string;
}

export interface Provider {
  readonly name: string;
  /** Asks for up to `count` nodes of `pool`; resolves with the names asked for (fewer when the pool is short). */
  provision(pool: string, count: number): Promise<readonly string[]>;
  /** Gives nodes back (billing stops now). */
  release(nodes: readonly string[]): Promise<void>;
  /** Called when asked-for nodes are up and usable. */
  onJoin(listener: (pool: string, nodes: readonly string[]) => void): void;
  close(): Promise<void>;
  /**
   * Optional (real providers): once the store is open and before any provision, records its
   * rentals there and re-adopts the ones a previous plane left (joins for those already up).
   */
  attach?(o: { readonly rentals: RentalTable; readonly log: (line: string) => void }): Promise<void>;
  /** Optional: nodes on the way and the last refusal (queued jobs' WaitingForRentedNodes reason). */
  status?(): ProviderStatus;
}

/** The cluster's time, for a simulated provider: runs `fn` after `seconds` of it; `cancel` undoes that. */
export interface ProviderClock {
  after(seconds: number, fn: () => void): { cancel(): void };
}

/** Wall time, `speed` times faster (the `--executor sim` cluster's speed-up). */
export function wallClock(speed = 1): ProviderClock {
  return {
    after(seconds, fn) {
      const t = setTimeout(fn, wallSecondsOf(seconds, speed) * 1000);
      t.unref();
      return { cancel: () => clearTimeout(t) };
    },
  };
}

/**
 * A FAKE provider, named so: no cloud is called. The pool's nodes are those of the topology
 * (built with the pool included); a request is granted from the ones not rented now, and they
 * join after the pool's lead time on `clock` (wall time for `--executor sim`, a virtual clock in
 * the driver conformance suite): it never reads the time itself.
 */
export class SimulatedProvider implements Provider {
  readonly name = 'simulated';
  private readonly free = new Map<string, string[]>();
  private readonly listeners: ((pool: string, nodes: readonly string[]) => void)[] = [];
  private readonly timers = new Set<{ cancel(): void }>();
  private readonly poolOf = new Map<string, string>();

  constructor(topology: ClusterTopology, private readonly pools: readonly PoolSpec[], private readonly clock: ProviderClock) {
    for (const p of pools) this.free.set(p.name, []);
    for (const n of topology.nodes) {
      if (!n.rented) continue;
      this.free.get(n.pool)?.push(n.name);
      this.poolOf.set(n.name, n.pool);
    }
  }

  async provision(pool: string, count: number): Promise<readonly string[]> {
    const spec = this.pools.find((p) => p.name === pool);
    const free = this.free.get(pool);
    if (!spec || !free) throw new Error(`no rented pool "${pool}"; known: ${this.pools.map((p) => p.name).join(', ') || 'none'}`);
    const granted = free.splice(0, Math.max(0, count));
    if (granted.length > 0) {
      const t = this.clock.after(spec.leadTimeHours * 3600, () => { this.timers.delete(t); for (const l of this.listeners) l(pool, granted); });
      this.timers.add(t);
    }
    return granted;
  }

  async release(nodes: readonly string[]): Promise<void> {
    for (const n of nodes) {
      const pool = this.poolOf.get(n);
      if (pool !== undefined) this.free.get(pool)!.push(n);
    }
  }

  onJoin(listener: (pool: string, nodes: readonly string[]) => void): void { this.listeners.push(listener); }

  async close(): Promise<void> {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }
}
