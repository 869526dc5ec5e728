import type { ClusterTopology } from '../fleet/types.ts';
import type { FreeIndex } from './free-index.ts';

/** What a job asks of the cluster, with Slurm's gres semantics (`--nodes N --gres=gpu[:type]:G`). */
export interface GangRequest {
  readonly nodes: number;
  /** GPUs on each node; 0: a CPU job, which takes whole nodes. */
  readonly gpusPerNode: number;
  /** Only nodes with this GPU type (absent: any type with enough GPUs). */
  readonly gpuType?: string;
  /**
   * Nodes may be shared: a job asking fewer GPUs than a node has takes only those GPUs, and
   * other jobs use the rest. Absent: every job takes whole nodes (a driver that keeps one job
   * per node).
   */
  readonly shareNodes?: boolean;
}

/** Where a job runs: its nodes and, per node, the GPU indices it holds (all of them for a whole node). */
export interface Placement {
  readonly nodeIndices: number[];
  readonly gpuIndices: number[][];
}

/** Whether a job takes only its GPUs of a node (else whole nodes; all of a node's GPUs is the same thing). */
const sharesOn = (req: GangRequest): boolean => req.shareNodes === true && req.gpusPerNode > 0;

/**
 * GPU- and topology-aware gang placement: `nodes` distinct nodes with `gpusPerNode` free GPUs
 * each, all or none. Node classes (GPU type, owned or rented pool) are tried in the index's
 * preference order, widening to the next class only when the cheaper ones lack room, so owned
 * nodes fill before rented ones and a cheaper pool before a dearer one. Within the classes:
 * - a one-node job that shares a node goes to the partly used node with the fewest free GPUs
 *   that still fit (best fit keeps whole nodes for whole-node jobs);
 * - otherwise as few leaf and then spine domains as fit (see `gang`).
 * Reads counters only: O(classes x GPUs x leaves) at worst, never a loop over GPUs x jobs.
 * Does not mutate `free`; the caller takes the returned GPUs (`FreeIndex.takeJob`).
 */
export function placeJob(free: FreeIndex, req: GangRequest): Placement | null {
  if (req.nodes <= 0) return null;
  const eligible = eligibleClasses(free, req);
  // Widen class by class; the cheaper classes' room is used in full before the next one's.
  const room = eligible.map((c) => classRoom(free, c, req));
  let before = 0;
  for (let i = 0; i < eligible.length; i++) {
    if (before + room[i]! < req.nodes) { before += room[i]!; continue; }
    const nodes: number[] = [];
    // Each class's room is exact, so these placements always succeed.
    for (let k = 0; k < i; k++) nodes.push(...placeIn(free, eligible[k]!, { ...req, nodes: room[k]! })!);
    const rest = req.nodes - nodes.length;
    nodes.push(...((rest === 1 ? tightestShared(free, eligible[i]!, req) : null) ?? placeIn(free, eligible[i]!, { ...req, nodes: rest })!));
    return { nodeIndices: nodes, gpuIndices: nodes.map((n) => gpusFor(free, n, req)) };
  }
  return null;
}

/** Node classes of the job's GPU type (any, when it names none) with at least its GPUs per node. */
function eligibleClasses(free: FreeIndex, req: GangRequest): number[] {
  const eligible: number[] = [];
  for (let c = 0; c < free.classes.length; c++) {
    const cls = free.classes[c]!;
    if ((req.gpuType === undefined || cls.gpuType === req.gpuType) && cls.gpus >= req.gpusPerNode) eligible.push(c);
  }
  return eligible;
}

/** Nodes of class `c` that could hold one of the job's ranks now. */
const classRoom = (free: FreeIndex, c: number, req: GangRequest): number => free.classTotalFree(c) + partialCapacity(free, c, req);

/**
 * Nodes that could hold one of the job's ranks now: wholly free nodes of its classes, plus partly
 * used ones with its GPUs free when it shares nodes. `placeJob` fails when this is below `nodes`
 * (it may fail above it too: topology and the class order decide).
 */
export function roomFor(free: FreeIndex, req: GangRequest): number {
  let n = 0;
  for (const c of eligibleClasses(free, req)) n += classRoom(free, c, req);
  return n;
}

/** Whole nodes of any type (the node-count view; `placeJob` for GPUs, types and sharing). */
export function placeGang(free: FreeIndex, nodes: number): number[] | null {
  return placeJob(free, { nodes, gpusPerNode: 0 })?.nodeIndices ?? null;
}

/** Nodes of class `c` partly used with at least the job's GPUs free (0 unless it shares). */
function partialCapacity(free: FreeIndex, c: number, req: GangRequest): number {
  if (!sharesOn(req)) return 0;
  const cls = free.classes[c]!;
  let n = 0;
  for (let k = req.gpusPerNode; k < cls.gpus; k++) n += free.classPartialTotal(c, k);
  return n;
}

/** One shared node of class `c`: a partly used node that fits, the tightest first. */
function tightestShared(free: FreeIndex, c: number, req: GangRequest): number[] | null {
  if (!sharesOn(req)) return null;
  const cls = free.classes[c]!;
  for (let k = req.gpusPerNode; k < cls.gpus; k++) {
    if (free.classPartialTotal(c, k) === 0) continue;
    const perLeaf = free.classLeafPartial(c, k);
    for (let l = 0; l < perLeaf.length; l++) {
      if (perLeaf[l] === 0) continue;
      for (const node of free.leafNodes[l]!) if (free.classOf[node] === c && free.freeGpus(node) === k) return [node];
    }
  }
  return null;
}

/** Gang placement over the nodes of class `c` that can hold the job. */
function placeIn(free: FreeIndex, c: number, req: GangRequest): number[] | null {
  // A job asking all of a node's GPUs takes wholly free nodes, shared or not: the cheap path.
  if (!sharesOn(req) || req.gpusPerNode >= free.classes[c]!.gpus) {
    return gang(free, free.classLeafFree(c), free.classSpineFree(c), req.nodes, (l, out, want) => takeWholeFree(free, l, out, want, c));
  }
  const leafCap = free.classLeafFree(c).slice();
  const spineCap = new Int32Array(free.spineFree.length);
  for (let k = req.gpusPerNode; k < free.classes[c]!.gpus; k++) {
    if (free.classPartialTotal(c, k) === 0) continue;
    const lp = free.classLeafPartial(c, k);
    for (let l = 0; l < leafCap.length; l++) leafCap[l]! += lp[l]!;
  }
  for (let s = 0; s < free.spineLeaves.length; s++) for (const l of free.spineLeaves[s]!) spineCap[s]! += leafCap[l]!;
  return gang(free, leafCap, spineCap, req.nodes, (l, out, want) => {
    // Partly used nodes first, tightest first; then wholly free ones; ties by index.
    const fits: { node: number; rank: number }[] = [];
    for (const node of free.leafNodes[l]!) {
      if (free.classOf[node] === c && free.freeGpus(node) >= req.gpusPerNode) fits.push({ node, rank: free.freeGpus(node) });
    }
    fits.sort((a, b) => a.rank - b.rank || a.node - b.node);
    for (let i = 0; i < fits.length && out.length < want; i++) out.push(fits[i]!.node);
  });
}

/** Appends wholly free nodes of class `c` in leaf `l`, in index order, until `want`. */
function takeWholeFree(free: FreeIndex, l: number, out: number[], want: number, c: number): void {
  const list = free.leafNodes[l]!;
  for (let i = 0; i < list.length && out.length < want; i++) {
    const n = list[i]!;
    if (free.free[n] === 1 && free.classOf[n] === c) out.push(n);
  }
}

/** The GPUs a job takes on `node`: the lowest free ones when it shares, else all of them. */
function gpusFor(free: FreeIndex, node: number, req: GangRequest): number[] {
  const cls = free.classes[free.classOf[node]!]!;
  const out: number[] = [];
  if (!sharesOn(req)) {
    for (let g = 0; g < cls.gpus; g++) out.push(g);
    return out;
  }
  const mask = free.gpuFree[node]!;
  for (let g = 0; g < cls.gpus && out.length < req.gpusPerNode; g++) if ((mask & (1 << g)) !== 0) out.push(g);
  return out;
}

type LeafPicker = (leaf: number, out: number[], want: number) => void;

/**
 * Topology-aware gang placement over per-leaf and per-spine capacities: all `nodes` or none, in
 * as few leaf and then spine domains as fit.
 * 1. fits in one leaf: the fullest leaf that still fits (best fit keeps big holes for big jobs);
 * 2. fits in one spine: the spine where it needs the fewest leaves (then the tightest), its
 *    leaves largest-free first;
 * 3. otherwise: spines largest-free first, each filled leaf by leaf.
 */
function gang(free: FreeIndex, leafCap: Int32Array, spineCap: Int32Array, nodes: number, pick: LeafPicker): number[] | null {
  let bestLeaf = -1;
  for (let l = 0; l < leafCap.length; l++) {
    const f = leafCap[l]!;
    if (f >= nodes && (bestLeaf < 0 || f < leafCap[bestLeaf]!)) bestLeaf = l;
  }
  if (bestLeaf >= 0) return takeFromLeaves([bestLeaf], nodes, pick);
  let bestSpine = -1;
  let bestNeed = Infinity;
  for (let s = 0; s < spineCap.length; s++) {
    const f = spineCap[s]!;
    if (f < nodes) continue;
    const leaves = leavesByFreeDesc(free, leafCap, [s]);
    const need = leavesNeeded(leafCap, leaves, nodes);
    if (need < bestNeed || (need === bestNeed && f < spineCap[bestSpine]!)) { bestSpine = s; bestNeed = need; }
  }
  if (bestSpine >= 0) return takeFromLeaves(leavesByFreeDesc(free, leafCap, [bestSpine]), nodes, pick);
  const spines = Array.from({ length: spineCap.length }, (_, s) => s).sort((a, b) => spineCap[b]! - spineCap[a]! || a - b);
  return takeFromLeaves(leavesByFreeDesc(free, leafCap, spines), nodes, pick);
}

/** Leaves (largest free first) needed to hold `nodes`. */
function leavesNeeded(leafCap: Int32Array, leaves: readonly number[], nodes: number): number {
  let need = 0;
  for (let got = 0; got < nodes && need < leaves.length; need++) got += leafCap[leaves[need]!]!;
  return need;
}

function leavesByFreeDesc(free: FreeIndex, leafCap: Int32Array, spines: readonly number[]): number[] {
  const out: number[] = [];
  for (const s of spines) {
    const leaves = Array.from(free.spineLeaves[s]!).sort((a, b) => leafCap[b]! - leafCap[a]! || a - b);
    out.push(...leaves);
  }
  return out;
}

function takeFromLeaves(leaves: readonly number[], nodes: number, pick: LeafPicker): number[] | null {
  const out: number[] = [];
  for (const l of leaves) {
    pick(l, out, nodes);
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
