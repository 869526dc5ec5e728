import type { ClusterTopology } from '../fleet/types.ts';
import { FreeIndex } from '../sched/free-index.ts';

/** The simulator's node counts at one instant (for reports and time-series samplers). */
export interface NodeCounts {
  /** Nodes in the topology (owned, spares added beyond the fleet, and the rent pool's). */
  readonly total: number;
  /** Up and in service: owned nodes, and rented nodes held now (spares included). */
  readonly up: number;
  /** Down after a hardware failure, in repair. */
  readonly inRepair: number;
  /** Up and held aside as hot spares. */
  readonly spare: number;
  /** Rented nodes held now (arrived and not given back). */
  readonly rentedHeld: number;
}

/**
 * Node bookkeeping of the simulator: which nodes are up, in repair, spare or rented, which jobs
 * hold each node and with which GPUs (Slurm's gres semantics: jobs asking fewer GPUs than a node
 * has share it), and the free-capacity index the scheduler places on (src/sched/free-index.ts,
 * the same index the live plane's scheduler builds). Jobs are numbers (the engine's indices).
 * Every change keeps the index in step in O(GPUs of the change); nothing loops over all nodes.
 */
export class NodeBook {
  readonly #topology: ClusterTopology;
  readonly #free: FreeIndex;
  /** 1 when the node is up and provisioned. */
  readonly #up: Uint8Array;
  /** The job holding each node whole, or -1 (the common case, kept in a typed array). */
  readonly #whole: Int32Array;
  /** Jobs holding part of a node (shared nodes only), with the GPUs each holds there. */
  readonly #parts = new Map<number, { job: number; gpus: readonly number[] }[]>();
  /** Since when a free node has been idle (for giving rented nodes back). */
  readonly #idleSince: Float64Array;
  readonly #spares = new Set<number>();
  #spareTarget = 0;
  #upCount = 0;
  #inRepair = 0;
  #rentedHeld = 0;

  /** Owned nodes start up and free; rented ones start down until `provision`. */
  constructor(topology: ClusterTopology) {
    this.#topology = topology;
    const n = topology.nodes.length;
    this.#up = new Uint8Array(n);
    this.#whole = new Int32Array(n).fill(-1);
    this.#idleSince = new Float64Array(n);
    this.#free = FreeIndex.empty(topology);
    for (const node of topology.nodes) if (!node.rented) { this.#up[node.index] = 1; this.#upCount++; this.#free.release(node.index); }
  }

  /** The free-capacity index, for the scheduler's view (which never mutates it). */
  get freeIndex(): FreeIndex { return this.#free; }
  get count(): number { return this.#up.length; }
  isUp(node: number): boolean { return this.#up[node] === 1; }
  /** Wholly free: up, in service, no GPU held. */
  isFree(node: number): boolean { return this.#free.isFree(node); }
  /** Since when a wholly free node has been idle. */
  idleSinceSeconds(node: number): number { return this.#idleSince[node]!; }
  /** The jobs holding a node now, in the order they came. */
  jobsOn(node: number): readonly number[] {
    const w = this.#whole[node]!;
    return w >= 0 ? [w] : (this.#parts.get(node)?.map((h) => h.job) ?? []);
  }
  get spares(): ReadonlySet<number> { return this.#spares; }
  get spareTarget(): number { return this.#spareTarget; }
  get counts(): NodeCounts {
    return { total: this.#up.length, up: this.#upCount, inRepair: this.#inRepair, spare: this.#spares.size, rentedHeld: this.#rentedHeld };
  }

  /** Holds nodes aside as hot spares (taken out of the free pool); the spare target is what is held. */
  addSpares(nodes: readonly number[]): void {
    for (const s of nodes) { this.#spares.add(s); this.#free.take(s); }
    this.#spareTarget = this.#spares.size;
  }

  /** `job` takes `gpus` of `node` (undefined: the whole node). The caller checked they are free. */
  attach(node: number, job: number, gpus: readonly number[] | undefined): void {
    this.#free.takeGpus(node, gpus);
    this.#hold(node, job, gpus);
  }

  #hold(node: number, job: number, gpus: readonly number[] | undefined): void {
    if (gpus === undefined) { this.#whole[node] = job; return; }
    const parts = this.#parts.get(node);
    if (parts) parts.push({ job, gpus }); else this.#parts.set(node, [{ job, gpus }]);
  }

  /** Removes `job` from the holders of `node`: false if it held none; else the GPUs it held (undefined: whole). */
  #unhold(node: number, job: number): { gpus: readonly number[] | undefined } | false {
    if (this.#whole[node] === job) { this.#whole[node] = -1; return { gpus: undefined }; }
    const parts = this.#parts.get(node);
    const i = parts ? parts.findIndex((h) => h.job === job) : -1;
    if (i < 0) return false;
    const { gpus } = parts![i]!;
    parts!.splice(i, 1);
    if (parts!.length === 0) this.#parts.delete(node);
    return { gpus };
  }

  #held(node: number): boolean { return this.#whole[node]! >= 0 || this.#parts.has(node); }

  /** `job` lets go of `node`; its GPUs go back to the free pool if the node is up and no spare. */
  detach(node: number, job: number, nowSeconds: number): void {
    const held = this.#unhold(node, job);
    if (held === false) return;
    if (this.#up[node] === 1 && !this.#spares.has(node)) {
      this.#free.releaseGpus(node, held.gpus);
      if (!this.#held(node)) this.#idleSince[node] = nowSeconds;
    }
  }

  /** Moves `job` from a lost node to `spare` (same GPU indices); the spare leaves the pool. */
  swapToSpare(job: number, lost: number, spare: number): void {
    const held = this.#unhold(lost, job);
    const gpus = held === false ? undefined : held.gpus;
    this.#spares.delete(spare);
    // A spare is out of the free pool; a job using part of it frees the rest.
    if (gpus !== undefined) { this.#free.release(spare); this.#free.takeGpus(spare, gpus); }
    this.#hold(spare, job, gpus);
  }

  /** A hardware failure: the node leaves service (a spare leaves the pool until repaired). */
  takeDown(node: number): void {
    this.#up[node] = 0;
    this.#upCount--;
    this.#inRepair++;
    this.#free.take(node);
    this.#spares.delete(node);
  }

  /**
   * Back from repair. A node some job still holds (replica recovery keeps it) gets back only
   * its unheld GPUs; an unheld one refills the spare pool if short (owned nodes), else is free.
   * Returns the jobs still holding it.
   */
  bringUp(node: number, nowSeconds: number): readonly number[] {
    this.#up[node] = 1;
    this.#upCount++;
    this.#inRepair--;
    if (this.#held(node)) {
      const parts = this.#parts.get(node);
      if (parts) {
        this.#free.release(node);
        for (const h of parts) this.#free.takeGpus(node, h.gpus);
      }
      return this.jobsOn(node);
    }
    if (this.#spares.size < this.#spareTarget && !this.#topology.nodes[node]!.rented) this.#spares.add(node);
    else { this.#free.release(node); this.#idleSince[node] = nowSeconds; }
    return [];
  }

  /** A rented node arrives: up, free, idle from now. */
  provision(node: number, nowSeconds: number): void {
    this.#up[node] = 1;
    this.#upCount++;
    this.#rentedHeld++;
    this.#free.release(node);
    this.#idleSince[node] = nowSeconds;
  }

  /** A rented node is given back: out of service. */
  unprovision(node: number): void {
    this.#free.take(node);
    if (this.#up[node] === 1) this.#upCount--;
    this.#up[node] = 0;
    this.#rentedHeld--;
  }
}
