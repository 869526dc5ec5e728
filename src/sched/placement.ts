import type { ClusterTopology } from '../fleet/types.ts';
import type { FreeIndex } from './free-index.ts';

/**
 * Topology-aware gang placement: all `nodes` nodes or none, in as few leaf and then spine
 * domains as fit. Reads only free counts per leaf/spine, then walks the chosen leaves' nodes.
 * 1. fits in one leaf: the fullest leaf that still fits (best fit keeps big holes for big jobs);
 * 2. fits in one spine: the spine where it needs the fewest leaves (then the tightest), its
 *    leaves largest-free first;
 * 3. otherwise: spines largest-free first, each filled leaf by leaf.
 * Does not mutate `free`; the caller takes the returned nodes.
 */
export function placeGang(free: FreeIndex, nodes: number): number[] | null {
  if (nodes <= 0 || nodes > free.totalFree) return null;
  const leafFree = free.leafFree;
  let bestLeaf = -1;
  for (let l = 0; l < leafFree.length; l++) {
    const f = leafFree[l]!;
    if (f >= nodes && (bestLeaf < 0 || f < leafFree[bestLeaf]!)) bestLeaf = l;
  }
  if (bestLeaf >= 0) return takeFromLeaves(free, [bestLeaf], nodes);
  const spineFree = free.spineFree;
  let bestSpine = -1;
  let bestLeaves: number[] = [];
  let bestNeed = Infinity;
  for (let s = 0; s < spineFree.length; s++) {
    const f = spineFree[s]!;
    if (f < nodes) continue;
    const leaves = leavesByFreeDesc(free, [s]);
    const need = leavesNeeded(free, leaves, nodes);
    if (need < bestNeed || (need === bestNeed && f < spineFree[bestSpine]!)) { bestSpine = s; bestLeaves = leaves; bestNeed = need; }
  }
  if (bestSpine >= 0) return takeFromLeaves(free, bestLeaves, nodes);
  const spines = Array.from({ length: spineFree.length }, (_, s) => s).filter((s) => spineFree[s]! > 0)
    .sort((a, b) => spineFree[b]! - spineFree[a]! || a - b);
  return takeFromLeaves(free, leavesByFreeDesc(free, spines), nodes);
}

/** Leaves (largest free first) needed to hold `nodes`. */
function leavesNeeded(free: FreeIndex, leaves: readonly number[], nodes: number): number {
  let need = 0;
  for (let got = 0; got < nodes && need < leaves.length; need++) got += free.leafFree[leaves[need]!]!;
  return need;
}

function leavesByFreeDesc(free: FreeIndex, spines: readonly number[]): number[] {
  const out: number[] = [];
  for (const s of spines) {
    const leaves = Array.from(free.spineLeaves[s] ?? []).filter((l) => free.leafFree[l]! > 0)
      .sort((a, b) => free.leafFree[b]! - free.leafFree[a]! || a - b);
    out.push(...leaves);
  }
  return out;
}

function takeFromLeaves(free: FreeIndex, leaves: readonly number[], nodes: number): number[] | null {
  const out: number[] = [];
  for (const l of leaves) {
    const list = free.leafNodes[l]!;
    for (let i = 0; i < list.length && out.length < nodes; i++) if (free.free[list[i]!] === 1) out.push(list[i]!);
    if (out.length === nodes) return out;
  }
  return null;
}

/** How many distinct leaf and spine domains a placement spans (reported per placement). */
export function domainSpread(topology: ClusterTopology, nodeIndices: readonly number[]): { leaves: number; spines: number } {
  const leaves = new Set<number>();
  const spines = new Set<number>();
  for (const i of nodeIndices) {
    const n = topology.nodes[i]!;
    leaves.add(n.leaf); spines.add(n.spine);
  }
  return { leaves: leaves.size, spines: spines.size };
}

/** The fewest leaves any placement of `nodes` nodes could span given leaf sizes (for tests and reports). */
export function minLeavesFor(free: FreeIndex, nodes: number): number {
  const sizes = Array.from(free.leafFree).sort((a, b) => b - a);
  let n = 0; let k = 0;
  for (const s of sizes) { if (n >= nodes) break; n += s; k++; }
  return n >= nodes ? k : Infinity;
}
