/**
 * Oracle Cloud behind the lifecycle's provider contract (../provider.ts): `provision(pool, n)`
 * launches one instance per free node of the pool (named after the node) and returns the nodes
 * OCI accepted; each joins (`onJoin`) once its instance is RUNNING; one that does not come up
 * within the pool's lead time plus boot is terminated and goes back to the free list. `release`
 * terminates the nodes' instances. Tested against the local stand-in only (./oci-standin.ts).
 *
 * Durable: with a store attached, each rental is recorded before LaunchInstance (the intent),
 * then with its OCID, launch time and hourly price, and removed once terminated. A restarted
 * plane re-adopts what the store holds: a RUNNING instance joins at once, a PROVISIONING one is
 * waited for (within what is left of its lead time), one OCI no longer has is forgotten, and an
 * intent without an OCID is looked up by name, so nothing is launched twice or left billing.
 *
 * A refusal (out of host capacity, an instance that never came up) is kept as the provider's
 * `status().problem` for the queue's reason, and further launches wait: 30 s, doubling to 10 min.
 */
import type { ClusterTopology, PoolSpec } from '../../fleet/types.ts';
import type { Provider, ProviderStatus } from '../provider.ts';
import type { RentalRow, RentalTable } from '../store/rental-table.ts';
import { RetryBackoff } from './backoff.ts';
import { type OciInstance, type OciProvider, OciProvisionError } from './oci.ts';

/** Seconds an instance may take past the pool's lead time to reach RUNNING. */
export const OCI_BOOT_MARGIN_SECONDS = 300;

export interface OciNodeProviderOptions {
  readonly log?: (line: string) => void;
  /** Wall clock, ms (tests move it). */
  readonly nowMs?: () => number;
  readonly backoff?: RetryBackoff;
  /** Seconds past the lead time before a launch that is not RUNNING is given up (default 300). */
  readonly bootMarginSeconds?: number;
}

type Listener = (pool: string, nodes: readonly string[]) => void;

export class OciNodeProvider implements Provider {
  readonly name = 'oracle';
  private readonly free: string[] = [];
  private readonly gpusOf = new Map<string, number>();
  private readonly listeners: Listener[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly provisioning = new Set<string>();
  /** Joins found before anyone listened (re-adopted at attach): told to the first listener. */
  private early: string[] = [];
  private rentals: RentalTable | undefined;
  private log: (line: string) => void;
  private readonly now: () => number;
  private readonly backoff: RetryBackoff;
  private readonly marginSeconds: number;
  private problem: string | undefined;
  private readonly closing = new AbortController();
  /** Re-adoptions that failed (OCI unreachable at start), waiting for their retry. */
  private readonly retries = new Set<NodeJS.Timeout>();

  constructor(topology: ClusterTopology, private readonly pool: PoolSpec, private readonly oci: OciProvider, o: OciNodeProviderOptions = {}) {
    for (const n of topology.nodes) {
      if (!n.rented || n.pool !== pool.name) continue;
      this.free.push(n.name);
      this.gpusOf.set(n.name, n.gpus);
    }
    this.log = o.log ?? (() => undefined);
    this.now = o.nowMs ?? (() => Date.now());
    this.backoff = o.backoff ?? new RetryBackoff();
    this.marginSeconds = o.bootMarginSeconds ?? OCI_BOOT_MARGIN_SECONDS;
  }

  private get nowSeconds(): number { return this.now() / 1000; }
  private get timeoutSeconds(): number { return this.pool.leadTimeHours * 3600 + this.marginSeconds; }

  /** Records rentals in `rentals` from now on, and re-adopts those a previous plane left there. */
  async attach(o: { readonly rentals: RentalTable; readonly log: (line: string) => void }): Promise<void> {
    this.rentals = o.rentals;
    this.log = o.log;
    for (const row of await o.rentals.list()) {
      if (row.pool !== this.pool.name || !this.free.includes(row.node)) continue;
      await this.readopt(row);
    }
  }

  private async readopt(row: RentalRow): Promise<void> {
    let inst: OciInstance | undefined;
    try {
      if (row.instanceId !== null) inst = await this.oci.instance(row.node, row.instanceId);
      else {
        // Launched (or not) while the plane died: OCI knows it by name.
        const live = await this.oci.liveInstances(row.node);
        inst = live[0];
        for (const extra of live.slice(1)) await this.oci.terminate(extra.ocid);
      }
    } catch (e) {
      if (!(e instanceof OciProvisionError)) throw e;
      // OCI unreachable now: keep the record (and the node out of the free list) and try again after the backoff.
      if (this.free.includes(row.node)) this.free.splice(this.free.indexOf(row.node), 1);
      const retryAt = this.backoff.failed(this.nowSeconds);
      this.log(`oracle: could not re-adopt ${row.node}: ${e.message}; kept in the store, tried again at ${new Date(retryAt * 1000).toISOString()}`);
      if (this.closing.signal.aborted) return;
      const t = setTimeout(() => { this.retries.delete(t); void this.readopt(row).catch((x: unknown) => this.log(`oracle: re-adopting ${row.node}: ${(x as Error).message}`)); }, (retryAt - this.nowSeconds) * 1000);
      t.unref();
      this.retries.add(t);
      return;
    }
    if (inst === undefined || inst.state === 'TERMINATED' || inst.state === 'TERMINATING') {
      // An instance that existed was paid for until it went, at the latest now; a launch that never got one, not at all.
      if (row.instanceId !== null) await this.rentals!.close(row.node, Math.max(row.launchedSeconds, this.nowSeconds), this.gpusOf.get(row.node) ?? 0);
      else await this.rentals!.remove(row.node);
      this.giveBack(row.node);
      this.log(`oracle: ${row.node}'s instance ${row.instanceId ?? '(never launched)'} is gone; forgotten`);
      return;
    }
    if (this.free.includes(row.node)) this.free.splice(this.free.indexOf(row.node), 1);
    const launchedSeconds = Date.parse(inst.launchedAt) / 1000;
    await this.record(row.node, inst, launchedSeconds);
    this.log(`oracle: re-adopted ${row.node} (instance ${inst.ocid}, ${inst.state})`);
    if (inst.state === 'RUNNING') this.joined(row.node);
    else this.watch(row.node, inst, Math.max(0, launchedSeconds + this.timeoutSeconds - this.nowSeconds));
  }

  private row(node: string, inst: OciInstance | undefined, launchedSeconds: number): RentalRow {
    return {
      node, pool: this.pool.name, provider: 'oracle', instanceId: inst?.ocid ?? null,
      state: inst === undefined ? 'launching' : inst.state === 'RUNNING' ? 'running' : 'provisioning', launchedSeconds,
      pricePerHourUsd: this.pool.pricePerGpuHourUsd * (this.gpusOf.get(node) ?? 0),
    };
  }

  private async record(node: string, inst: OciInstance | undefined, launchedSeconds: number): Promise<void> {
    await this.rentals?.put(this.row(node, inst, launchedSeconds));
  }

  private refused(message: string): void {
    const retryAt = this.backoff.failed(this.nowSeconds);
    this.problem = message;
    this.log(`oracle: ${message}; next launch not before ${new Date(retryAt * 1000).toISOString()}`);
  }

  async provision(pool: string, count: number): Promise<readonly string[]> {
    if (pool !== this.pool.name) throw new Error(`no rented pool "${pool}" behind this provider; it rents ${this.pool.name}`);
    // Refused lately: wait out the backoff (the lifecycle asks again every cycle).
    if (!this.backoff.ready(this.nowSeconds)) return [];
    const granted: string[] = [];
    for (const node of this.free.slice(0, Math.max(0, count))) {
      const askedSeconds = this.nowSeconds;
      // The intent first: a plane that dies during LaunchInstance finds the instance by name.
      await this.record(node, undefined, askedSeconds);
      let inst: OciInstance;
      try {
        inst = await this.oci.launch(node);
      } catch (e) {
        await this.rentals?.remove(node);
        // Out of capacity (or any refusal): grant what OCI accepted; ask again after the backoff.
        if (!(e instanceof OciProvisionError)) throw e;
        this.refused(e.message);
        break;
      }
      this.backoff.succeeded();
      this.problem = undefined;
      granted.push(node);
      this.free.splice(this.free.indexOf(node), 1);
      await this.record(node, inst, Date.parse(inst.launchedAt) / 1000);
      this.log(`oracle: launched ${node} (instance ${inst.ocid}, ${this.pool.name}); joins once RUNNING`);
      this.watch(node, inst, this.timeoutSeconds);
    }
    return granted;
  }

  /** GetInstance until RUNNING (then the node joins); past the timeout the instance is terminated. */
  private watch(node: string, inst: OciInstance, timeoutSeconds: number): void {
    this.provisioning.add(node);
    const wait = this.oci.waitRunning(inst, timeoutSeconds, this.closing.signal)
      .then(async (up) => {
        if (this.closing.signal.aborted) return;
        await this.record(node, up, Date.parse(inst.launchedAt) / 1000);
        this.provisioning.delete(node);
        this.log(`oracle: ${node} is RUNNING (instance ${inst.ocid}); it joins the fleet`);
        this.joined(node);
      })
      .catch(async (e: unknown) => {
        // Closing: the instance stays recorded and the next plane re-adopts it.
        if (this.closing.signal.aborted) return;
        this.provisioning.delete(node);
        this.refused((e as Error).message);
        try {
          await this.oci.terminate(inst.ocid);
          await this.rentals?.close(node, this.nowSeconds, this.gpusOf.get(node) ?? 0);
          this.giveBack(node);
        } catch (t) {
          // Kept in the store: a release or the next start terminates it.
          this.log(`oracle: terminating ${inst.ocid} (${node}) failed: ${(t as Error).message}`);
        }
      });
    this.pending.add(wait);
    void wait.finally(() => this.pending.delete(wait));
  }

  /** Back to the free list, which stays in node order (the lowest is rented first). */
  private giveBack(node: string): void {
    if (this.free.includes(node)) return;
    this.free.push(node);
    this.free.sort();
  }

  private joined(node: string): void {
    if (this.listeners.length === 0) { this.early.push(node); return; }
    for (const l of this.listeners) l(this.pool.name, [node]);
  }

  async release(nodes: readonly string[]): Promise<void> {
    for (const n of nodes) {
      const ocids = await this.oci.release(n);
      // Kept with its release time: the pool's cost is derived from the store (../rental-cost.ts).
      await this.rentals?.close(n, this.nowSeconds, this.gpusOf.get(n) ?? 0);
      this.log(`oracle: released ${n}${ocids.length > 0 ? ` (terminated ${ocids.join(', ')})` : ''}`);
      this.giveBack(n);
    }
  }

  onJoin(listener: Listener): void {
    this.listeners.push(listener);
    if (this.early.length > 0) {
      const nodes = this.early;
      this.early = [];
      queueMicrotask(() => listener(this.pool.name, nodes));
    }
  }

  status(): ProviderStatus {
    const { delaySeconds, retryAtSeconds } = this.backoff.state;
    const retry = delaySeconds > 0 ? `; Oracle is asked again at ${new Date(retryAtSeconds * 1000).toISOString()} (backoff ${delaySeconds} s)` : '';
    return { provisioningNodes: this.provisioning.size, ...(this.problem !== undefined ? { problem: `${this.problem}${retry}` } : {}) };
  }

  /** Waits for the launches still polling (tests, shutdown). */
  async settled(): Promise<void> { await Promise.all([...this.pending]); }

  /** Stops polling; launched instances keep running (billed until released) and the next plane re-adopts them. */
  async close(): Promise<void> {
    this.closing.abort(new Error('the control plane is closing'));
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    await this.settled();
  }
}
