/**
 * Oracle Cloud behind the lifecycle's provider contract (../provider.ts): `provision(pool, n)`
 * launches one instance per free node of the pool (named after the node) and returns the nodes
 * OCI accepted; each joins (`onJoin`) once its instance is RUNNING; one that does not come up
 * within the pool's lead time plus boot is terminated and goes back to the free list. `release`
 * terminates the nodes' instances. Tested against the local stand-in only (./oci-standin.ts).
 */
import type { ClusterTopology, PoolSpec } from '../../fleet/types.ts';
import type { Provider } from '../provider.ts';
import { OciProvider, OciProvisionError } from './oci.ts';

/** Seconds an instance may take past the pool's lead time to reach RUNNING. */
export const OCI_BOOT_MARGIN_SECONDS = 300;

export class OciNodeProvider implements Provider {
  readonly name = 'oracle';
  private readonly free: string[] = [];
  private readonly listeners: ((pool: string, nodes: readonly string[]) => void)[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(topology: ClusterTopology, private readonly pool: PoolSpec, private readonly oci: OciProvider, private readonly log?: (line: string) => void) {
    for (const n of topology.nodes) if (n.rented && n.pool === pool.name) this.free.push(n.name);
  }

  async provision(pool: string, count: number): Promise<readonly string[]> {
    if (pool !== this.pool.name) throw new Error(`no rented pool "${pool}" behind this provider; it rents ${this.pool.name}`);
    const granted: string[] = [];
    for (const node of this.free.slice(0, Math.max(0, count))) {
      try {
        const inst = await this.oci.launch(node);
        granted.push(node);
        this.free.splice(this.free.indexOf(node), 1);
        const wait = this.oci.waitRunning(inst, this.pool.leadTimeHours * 3600 + OCI_BOOT_MARGIN_SECONDS)
          .then(() => { for (const l of this.listeners) l(pool, [node]); })
          .catch(async (e: unknown) => {
            this.log?.(`oracle: ${(e as Error).message}`);
            await this.oci.terminate(inst.ocid).catch(() => undefined);
            this.free.push(node);
          });
        this.pending.add(wait);
        void wait.finally(() => this.pending.delete(wait));
      } catch (e) {
        // Out of capacity (or any refusal): grant what OCI accepted; the lifecycle asks again later.
        if (!(e instanceof OciProvisionError)) throw e;
        this.log?.(`oracle: ${e.message}`);
        break;
      }
    }
    return granted;
  }

  async release(nodes: readonly string[]): Promise<void> {
    for (const n of nodes) {
      await this.oci.release(n);
      if (!this.free.includes(n)) this.free.push(n);
    }
  }

  onJoin(listener: (pool: string, nodes: readonly string[]) => void): void { this.listeners.push(listener); }

  /** Waits for the launches still polling (tests, shutdown). */
  async settled(): Promise<void> { await Promise.all([...this.pending]); }

  /** Launched instances keep running (they are billed until released); nothing to stop here. */
  async close(): Promise<void> { /* launches still polling finish or time out on their own */ }
}
