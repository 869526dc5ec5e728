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
  /** Jobs holding each node, with the GPUs each holds there (undefined: the whole node). */
  readonly #holders: { job: number; gpus: readonly number[] | undefined }[][];
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
    this.#holders = Array.from({ length: n }, () => []);
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
  jobsOn(node: number): readonly number[] { return this.#holders[node]!.map((h) => h.job); }
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
    this.#holders[node]!.push({ job, gpus });
  }

  /** `job` lets go of `node`; its GPUs go back to the free pool if the node is up and no spare. */
  detach(node: number, job: number, nowSeconds: number): void {
    const held = this.#holders[node]!;
    const i = held.findIndex((h) => h.job === job);
    if (i < 0) return;
    const { gpus } = held[i]!;
    held.splice(i, 1);
    if (this.#up[node] === 1 && !this.#spares.has(node)) {
      this.#free.releaseGpus(node, gpus);
      if (held.length === 0) this.#idleSince[node] = nowSeconds;
    }
  }

  /** Moves `job` from a lost node to `spare` (same GPU indices); the spare leaves the pool. */
  swapToSpare(job: number, lost: number, spare: number): void {
    const held = this.#holders[lost]!;
    const i = held.findIndex((h) => h.job === job);
    const gpus = i >= 0 ? held.splice(i, 1)[0]!.gpus : undefined;
    this.#spares.delete(spare);
    // A spare is out of the free pool; a job using part of it frees the rest.
    if (gpus !== undefined) { this.#free.release(spare); this.#free.takeGpus(spare, gpus); }
    this.#holders[spare]!.push({ job, gpus });
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
    const held = this.#holders[node]!;
    if (held.length > 0) {
      if (held.some((h) => h.gpus !== undefined)) {
        this.#free.release(node);
        for (const h of held) this.#free.takeGpus(node, h.gpus);
      }
      return held.map((h) => h.job);
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
