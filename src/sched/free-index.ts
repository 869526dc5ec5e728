import type { ClusterTopology } from '../fleet/types.ts';

/**
 * Free-node index for one scheduling cycle: a free flag per node plus free counts per leaf and
 * spine, so placement reads counts (O(leaves)) instead of scanning nodes x jobs. Built once per
 * topology generation (`leafNodes`), cloned per cycle (a memcpy of typed arrays), mutated by
 * tentative placements. A driver that keeps one up to date incrementally (the simulator) passes
 * it in `ClusterView.freeIndex`; otherwise the scheduler builds it from the view.
 */
export class FreeIndex {
  readonly topology: ClusterTopology;
  /** Node indices grouped by leaf (shared, read-only). */
  readonly leafNodes: readonly Int32Array[];
  /** Leaf indices grouped by spine (shared, read-only). */
  readonly spineLeaves: readonly Int32Array[];
  readonly free: Uint8Array;
  readonly leafFree: Int32Array;
  readonly spineFree: Int32Array;
  totalFree: number;

  private constructor(topology: ClusterTopology, leafNodes: readonly Int32Array[], spineLeaves: readonly Int32Array[],
    free: Uint8Array, leafFree: Int32Array, spineFree: Int32Array, totalFree: number) {
    this.topology = topology; this.leafNodes = leafNodes; this.spineLeaves = spineLeaves;
    this.free = free; this.leafFree = leafFree; this.spineFree = spineFree; this.totalFree = totalFree;
  }

  /** An index with every node taken; call `release` for the usable ones. */
  static empty(topology: ClusterTopology): FreeIndex {
    const leafLists: number[][] = Array.from({ length: topology.leafCount }, () => []);
    const leafSpine = new Int32Array(topology.leafCount).fill(-1);
    for (const n of topology.nodes) {
      leafLists[n.leaf]!.push(n.index);
      leafSpine[n.leaf] = n.spine;
    }
    const spineLists: number[][] = Array.from({ length: topology.spineCount }, () => []);
    for (let l = 0; l < topology.leafCount; l++) if (leafSpine[l]! >= 0) spineLists[leafSpine[l]!]!.push(l);
    return new FreeIndex(topology, leafLists.map((l) => Int32Array.from(l)), spineLists.map((l) => Int32Array.from(l)),
      new Uint8Array(topology.nodes.length), new Int32Array(topology.leafCount), new Int32Array(topology.spineCount), 0);
  }

  /** Copy with the same shared structure and independent free state. */
  clone(): FreeIndex {
    return new FreeIndex(this.topology, this.leafNodes, this.spineLeaves, this.free.slice(), this.leafFree.slice(),
      this.spineFree.slice(), this.totalFree);
  }

  isFree(node: number): boolean { return this.free[node] === 1; }

  /**
   * Undo journal: while recording, every change is logged so `rollback(mark)` can restore the
   * state at `mark()`. Lets a scheduling cycle work on the driver's index without copying it.
   */
  private journal: number[] | null = null;
  private journalDepth = 0;

  /** Starts recording (if not already) and returns a mark; every mark needs its `rollback`. */
  mark(): number {
    if (!this.journal) this.journal = [];
    this.journalDepth++;
    return this.journal.length;
  }

  /** Undoes every change after `mark`; the outermost rollback stops recording. */
  rollback(mark: number): void {
    const j = this.journal;
    if (!j) return;
    this.journalDepth--;
    for (let i = j.length - 1; i >= mark; i--) {
      const node = j[i]!;
      // Entries are +node+1 for a take (undo: release) and -(node+1) for a release (undo: take).
      if (node > 0) this.flip(node - 1, 1); else this.flip(-node - 1, 0);
    }
    j.length = mark;
    if (this.journalDepth === 0) this.journal = null;
  }

  /** Marks a node free. Idempotent. */
  release(node: number): void {
    if (this.free[node] === 1) return;
    this.flip(node, 1);
    this.journal?.push(-(node + 1));
  }

  /** Marks a node taken. Idempotent. */
  take(node: number): void {
    if (this.free[node] !== 1) return;
    this.flip(node, 0);
    this.journal?.push(node + 1);
  }

  private flip(node: number, to: 0 | 1): void {
    const n = this.topology.nodes[node]!;
    const d = to === 1 ? 1 : -1;
    this.free[node] = to; this.leafFree[n.leaf]! += d; this.spineFree[n.spine]! += d; this.totalFree += d;
  }

  releaseAll(nodes: readonly number[]): void { for (const n of nodes) this.release(n); }
  takeAll(nodes: readonly number[]): void { for (const n of nodes) this.take(n); }
}
