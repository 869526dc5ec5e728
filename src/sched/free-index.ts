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

  /** Marks a node free. Idempotent. */
  release(node: number): void {
    if (this.free[node] === 1) return;
    const n = this.topology.nodes[node]!;
    this.free[node] = 1; this.leafFree[n.leaf]!++; this.spineFree[n.spine]!++; this.totalFree++;
  }

  /** Marks a node taken. Idempotent. */
  take(node: number): void {
    if (this.free[node] !== 1) return;
    const n = this.topology.nodes[node]!;
    this.free[node] = 0; this.leafFree[n.leaf]!--; this.spineFree[n.spine]!--; this.totalFree--;
  }

  releaseAll(nodes: readonly number[]): void { for (const n of nodes) this.release(n); }
  takeAll(nodes: readonly number[]): void { for (const n of nodes) this.take(n); }
}
