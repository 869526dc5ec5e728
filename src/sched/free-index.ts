import type { ClusterTopology } from '../fleet/types.ts';

/**
 * Nodes alike for placement: same GPU type and count, owned or rented, same price. Placement
 * prefers classes in `FreeIndex.classes` order: owned before rented, then the cheaper pool.
 */
export interface NodeClass {
  readonly gpuType: string;
  readonly gpus: number;
  readonly rented: boolean;
  /** Owned nodes: 0 (already paid for). */
  readonly pricePerGpuHourUsd: number;
  /** GPU slots tracked per node: max(1, gpus); a GPU-less node is one slot, taken whole. */
  readonly slots: number;
  readonly fullMask: number;
}

/** Per-class counters (the per-cycle, mutable part). */
interface ClassCounts {
  readonly leafFree: Int32Array;
  readonly spineFree: Int32Array;
  totalFree: number;
  /** leafPartial[k][leaf]: in-service nodes with exactly k free GPUs, 0 < k < gpus (shared nodes). */
  readonly leafPartial: readonly Int32Array[];
  readonly partialTotal: Int32Array;
}

/** Built once per topology generation and shared read-only by every clone. */
interface Shape {
  readonly leafNodes: readonly Int32Array[];
  readonly spineLeaves: readonly Int32Array[];
  readonly classes: readonly NodeClass[];
  readonly classOf: Int32Array;
}

/** The shared structure of a topology, built once per topology object (a generation; topologies are never mutated). */
const SHAPES = new WeakMap<ClusterTopology, Shape>();

function shapeOf(topology: ClusterTopology): Shape {
  const leafLists: number[][] = Array.from({ length: topology.leafCount }, () => []);
  const leafSpine = new Int32Array(topology.leafCount).fill(-1);
  const classKeys = new Map<string, number>();
  const found: (NodeClass & { first: number })[] = [];
  const rawClass = new Int32Array(topology.nodes.length);
  for (const n of topology.nodes) {
    leafLists[n.leaf]!.push(n.index);
    leafSpine[n.leaf] = n.spine;
    const price = n.rented ? (n.pricePerGpuHourUsd ?? 0) : 0;
    const key = `${n.gpuType}/${n.gpus}/${n.rented}/${price}`;
    let c = classKeys.get(key);
    if (c === undefined) {
      c = found.length;
      classKeys.set(key, c);
      const slots = Math.max(1, Math.min(32, n.gpus));
      found.push({ gpuType: n.gpuType, gpus: n.gpus, rented: n.rented, pricePerGpuHourUsd: price, slots, fullMask: slots === 32 ? 0xffffffff : (1 << slots) - 1, first: n.index });
    }
    rawClass[n.index] = c;
  }
  // Preference: owned first, then cheaper, then in fleet order.
  const order = found.map((_, i) => i).sort((a, b) => Number(found[a]!.rented) - Number(found[b]!.rented)
    || found[a]!.pricePerGpuHourUsd - found[b]!.pricePerGpuHourUsd || found[a]!.first - found[b]!.first);
  const rank = new Int32Array(found.length);
  order.forEach((c, i) => { rank[c] = i; });
  const classOf = rawClass.map((c) => rank[c]!);
  const classes = order.map((c) => { const { first: _first, ...cls } = found[c]!; return cls; });
  const spineLists: number[][] = Array.from({ length: topology.spineCount }, () => []);
  for (let l = 0; l < topology.leafCount; l++) if (leafSpine[l]! >= 0) spineLists[leafSpine[l]!]!.push(l);
  return { leafNodes: leafLists.map((l) => Int32Array.from(l)), spineLeaves: spineLists.map((l) => Int32Array.from(l)), classes, classOf };
}

/** Bit mask of GPU indices (a GPU-less node: its single slot). */
export function maskOf(cls: NodeClass, gpuIndices: readonly number[] | undefined): number {
  if (gpuIndices === undefined || cls.gpus === 0) return cls.fullMask;
  let m = 0;
  for (const g of gpuIndices) m |= 1 << g;
  return m >>> 0;
}

/** Set bits of a 32-bit mask. */
export function popcount(m: number): number {
  let v = m - ((m >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Free-capacity index for one scheduling cycle: per node a mask of free GPUs; per leaf and spine
 * the count of wholly free nodes (overall and per node class); per class and leaf the count of
 * partly used nodes by free GPUs. Placement reads counts (O(leaves)) instead of scanning
 * nodes x jobs, and never loops over GPUs. Built once per topology generation (`leafNodes`,
 * classes), cloned per cycle (a memcpy of typed arrays), mutated by tentative placements. A
 * driver that keeps one up to date incrementally (the simulator) passes it in
 * `ClusterView.freeIndex`; otherwise the scheduler builds it from the view.
 * A node out of service (down, draining, a spare, wholly taken) has mask 0.
 */
export class FreeIndex {
  readonly topology: ClusterTopology;
  /** Node indices grouped by leaf (shared, read-only). */
  readonly leafNodes: readonly Int32Array[];
  /** Leaf indices grouped by spine (shared, read-only). */
  readonly spineLeaves: readonly Int32Array[];
  /** Node classes in placement preference order (shared, read-only). */
  readonly classes: readonly NodeClass[];
  /** Class of each node, an index into `classes`. */
  readonly classOf: Int32Array;
  /** 1 when the node is wholly free. */
  readonly free: Uint8Array;
  /** Free GPUs of each node as a bit mask (bit i: GPU i free). */
  readonly gpuFree: Uint32Array;
  readonly leafFree: Int32Array;
  readonly spineFree: Int32Array;
  totalFree: number;
  private readonly shape: Shape;
  private readonly counts: readonly ClassCounts[];

  private constructor(topology: ClusterTopology, shape: Shape, free: Uint8Array, gpuFree: Uint32Array, leafFree: Int32Array,
    spineFree: Int32Array, totalFree: number, counts: readonly ClassCounts[]) {
    this.topology = topology; this.shape = shape;
    this.leafNodes = shape.leafNodes; this.spineLeaves = shape.spineLeaves; this.classes = shape.classes; this.classOf = shape.classOf;
    this.free = free; this.gpuFree = gpuFree; this.leafFree = leafFree; this.spineFree = spineFree; this.totalFree = totalFree;
    this.counts = counts;
  }

  /** An index with every node taken; call `release` for the usable ones. */
  static empty(topology: ClusterTopology): FreeIndex {
    let shape = SHAPES.get(topology);
    if (!shape) { shape = shapeOf(topology); SHAPES.set(topology, shape); }
    const classes = shape.classes;
    const counts = classes.map((c): ClassCounts => ({
      leafFree: new Int32Array(topology.leafCount), spineFree: new Int32Array(topology.spineCount), totalFree: 0,
      leafPartial: Array.from({ length: c.gpus }, () => new Int32Array(topology.leafCount)), partialTotal: new Int32Array(Math.max(1, c.gpus)),
    }));
    return new FreeIndex(topology, shape, new Uint8Array(topology.nodes.length), new Uint32Array(topology.nodes.length),
      new Int32Array(topology.leafCount), new Int32Array(topology.spineCount), 0, counts);
  }

  /** Copy with the same shared structure and independent free state. */
  clone(): FreeIndex {
    const counts = this.counts.map((c): ClassCounts => ({
      leafFree: c.leafFree.slice(), spineFree: c.spineFree.slice(), totalFree: c.totalFree,
      leafPartial: c.leafPartial.map((a) => a.slice()), partialTotal: c.partialTotal.slice(),
    }));
    return new FreeIndex(this.topology, this.shape, this.free.slice(), this.gpuFree.slice(), this.leafFree.slice(),
      this.spineFree.slice(), this.totalFree, counts);
  }

  isFree(node: number): boolean { return this.free[node] === 1; }

  /** Free GPUs of a node (its single slot for a GPU-less node). */
  freeGpus(node: number): number { return popcount(this.gpuFree[node]!); }

  /** Wholly free nodes of class `c` per leaf / per spine / in all. */
  classLeafFree(c: number): Int32Array { return this.counts[c]!.leafFree; }
  classSpineFree(c: number): Int32Array { return this.counts[c]!.spineFree; }
  classTotalFree(c: number): number { return this.counts[c]!.totalFree; }
  /** Partly used in-service nodes of class `c` with exactly `k` free GPUs, per leaf and in all. */
  classLeafPartial(c: number, k: number): Int32Array { return this.counts[c]!.leafPartial[k]!; }
  classPartialTotal(c: number, k: number): number { return this.counts[c]!.partialTotal[k]!; }

  /**
   * Undo journal: while recording, every change is logged (node and its previous mask) so
   * `rollback(mark)` can restore the state at `mark()`. Lets a scheduling cycle work on the
   * driver's index without copying it.
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
      // Entry: node * 2^32 + previous mask (exact in a double: nodes < 2^21).
      const e = j[i]!;
      this.setMask(Math.floor(e / 4294967296), e % 4294967296);
    }
    j.length = mark;
    if (this.journalDepth === 0) this.journal = null;
  }

  /** Marks a node wholly free (in service, no GPU in use). Idempotent. */
  release(node: number): void { this.change(node, this.classes[this.classOf[node]!]!.fullMask); }

  /** Marks a node wholly taken (or out of service). Idempotent. */
  take(node: number): void { this.change(node, 0); }

  /** Takes these GPUs of an in-service node (absent: the whole node). */
  takeGpus(node: number, gpuIndices?: readonly number[]): void {
    this.change(node, (this.gpuFree[node]! & ~maskOf(this.classes[this.classOf[node]!]!, gpuIndices)) >>> 0);
  }

  /** Gives back these GPUs of an in-service node (absent: the whole node). */
  releaseGpus(node: number, gpuIndices?: readonly number[]): void {
    this.change(node, (this.gpuFree[node]! | maskOf(this.classes[this.classOf[node]!]!, gpuIndices)) >>> 0);
  }

  /** Takes what a job holds: per node its `gpuIndices` (absent: whole nodes). */
  takeJob(job: { readonly nodeIndices: readonly number[]; readonly gpuIndices?: readonly (readonly number[])[] }): void {
    for (let i = 0; i < job.nodeIndices.length; i++) this.takeGpus(job.nodeIndices[i]!, job.gpuIndices?.[i]);
  }

  /** Gives back what a job holds on the nodes for which `inService` holds (default: all). */
  releaseJob(job: { readonly nodeIndices: readonly number[]; readonly gpuIndices?: readonly (readonly number[])[] }, inService: (node: number) => boolean = () => true): void {
    for (let i = 0; i < job.nodeIndices.length; i++) if (inService(job.nodeIndices[i]!)) this.releaseGpus(job.nodeIndices[i]!, job.gpuIndices?.[i]);
  }

  private change(node: number, mask: number): void {
    const old = this.gpuFree[node]!;
    if (old === mask) return;
    this.journal?.push(node * 4294967296 + old);
    this.setMask(node, mask);
  }

  /** Moves a node's counts from its old mask to `mask`. */
  private setMask(node: number, mask: number): void {
    const old = this.gpuFree[node]!;
    if (old === mask) return;
    this.count(node, old, -1);
    this.gpuFree[node] = mask;
    this.count(node, mask, 1);
  }

  private count(node: number, mask: number, d: 1 | -1): void {
    if (mask === 0) return;
    const n = this.topology.nodes[node]!;
    const c = this.classOf[node]!;
    const cls = this.classes[c]!;
    const cc = this.counts[c]!;
    if (mask === cls.fullMask) {
      this.free[node] = d === 1 ? 1 : 0;
      this.leafFree[n.leaf]! += d; this.spineFree[n.spine]! += d; this.totalFree += d;
      cc.leafFree[n.leaf]! += d; cc.spineFree[n.spine]! += d; cc.totalFree += d;
    } else {
      const k = popcount(mask);
      cc.leafPartial[k]![n.leaf]! += d; cc.partialTotal[k]! += d;
    }
  }

  releaseAll(nodes: readonly number[]): void { for (const n of nodes) this.release(n); }
  takeAll(nodes: readonly number[]): void { for (const n of nodes) this.take(n); }
}
