import type { ClusterHardware, NetworkTier } from './hardware.ts';

/**
 * Collective costs over the tiers of a cluster (alpha-beta model per tier).
 *
 * A communicator is `size` ranks spaced `stride` apart in rank order (Megatron orders ranks
 * tp fastest, then cp, then dp/ep, then pp). With g GPUs per node it has k = g / stride members
 * in each node (at least 1) and spans n = size / k nodes. Algorithms:
 * - ring reduce-scatter / all-gather: (N-1)/N x bytes / B + (N-1) x alpha on one tier;
 * - hierarchical (NCCL's multi-node rings): the intra-node phase on NVLink over k ranks, then
 *   k parallel rings across nodes, one per rail, each carrying bytes / k over the outermost tier
 *   the group crosses (its bandwidth, oversubscription and hop latency);
 * - all-reduce: the cheaper of ring (reduce-scatter + all-gather) and double binary tree
 *   (bytes / B per direction, 2 log2 N x alpha), as NCCL picks;
 * - all-to-all: each rank sends (size-1)/size of its buffer; the off-node share goes over the NIC.
 */
export interface Group {
  readonly size: number;
  readonly stride: number;
}

export interface CollectiveCost {
  readonly seconds: number;
  /** e.g. `ring nvlink x8`, `hierarchical nvlink x2 + spine x512`. */
  readonly algorithm: string;
}

/** The innermost tier that contains a span of `gpus` consecutive GPUs. */
export function tierFor(hw: ClusterHardware, gpus: number): NetworkTier {
  for (const t of hw.tiers) if (gpus <= t.groupGpus) return t;
  return hw.tiers[hw.tiers.length - 1];
}

function split(hw: ClusterHardware, g: Group): { k: number; n: number; outer: NetworkTier } {
  const k = g.stride >= hw.gpusPerNode ? 1 : Math.max(1, Math.min(g.size, Math.floor(hw.gpusPerNode / g.stride)));
  const n = Math.ceil(g.size / k);
  return { k, n, outer: tierFor(hw, g.size * g.stride) };
}

function ringSeconds(ranks: number, bytes: number, tier: NetworkTier): number {
  if (ranks <= 1) return 0;
  return ((ranks - 1) / ranks) * (bytes / tier.busBytesPerSecondPerGpu) + (ranks - 1) * tier.stepLatencySeconds;
}

/** Reduce-scatter (or all-gather) of a buffer of `bytes` (the full, unsharded size) per rank. */
export function reduceScatter(hw: ClusterHardware, g: Group, bytes: number): CollectiveCost {
  if (g.size <= 1 || bytes <= 0) return { seconds: 0, algorithm: 'none' };
  const { k, n, outer } = split(hw, g);
  const nv = hw.tiers[0];
  if (n <= 1) return { seconds: ringSeconds(k, bytes, nv), algorithm: `ring ${nv.name} x${k}` };
  if (k <= 1) return { seconds: ringSeconds(n, bytes, outer), algorithm: `ring ${outer.name} x${n}` };
  const seconds = ringSeconds(k, bytes, nv) + ringSeconds(n, bytes / k, outer);
  return { seconds, algorithm: `hierarchical ${nv.name} x${k} + ${outer.name} x${n}` };
}

export const allGather = reduceScatter;

/**
 * The same collective when issued layer by layer as FSDP/ZeRO-3 does: many collectives in flight, so
 * the NVLink phase of one overlaps the fabric phase of the previous (NCCL's multi-node rings pipeline
 * chunks through both); it costs the slower phase, not the sum.
 */
export function reduceScatterPipelined(hw: ClusterHardware, g: Group, bytes: number): CollectiveCost {
  if (g.size <= 1 || bytes <= 0) return { seconds: 0, algorithm: 'none' };
  const { k, n, outer } = split(hw, g);
  if (n <= 1 || k <= 1) return reduceScatter(hw, g, bytes);
  const nv = hw.tiers[0];
  const seconds = Math.max(ringSeconds(k, bytes, nv), ringSeconds(n, bytes / k, outer));
  return { seconds, algorithm: `pipelined ${nv.name} x${k} | ${outer.name} x${n}` };
}

export function allReduce(hw: ClusterHardware, g: Group, bytes: number): CollectiveCost {
  if (g.size <= 1 || bytes <= 0) return { seconds: 0, algorithm: 'none' };
  const ring = reduceScatter(hw, g, bytes);
  const { k, n, outer } = split(hw, g);
  // Double binary tree across nodes after an intra-node reduce-scatter; all-gather inside the node after.
  const nv = hw.tiers[0];
  const intra = n > 1 && k > 1 ? 2 * ringSeconds(k, bytes, nv) : 0;
  const treeTier = n > 1 ? outer : nv;
  const treeRanks = n > 1 ? n : k;
  const treeBytes = n > 1 ? bytes / k : bytes;
  const tree = intra + treeBytes / treeTier.busBytesPerSecondPerGpu + 2 * Math.log2(treeRanks) * treeTier.stepLatencySeconds;
  const ringSecondsTotal = 2 * ring.seconds;
  return tree < ringSecondsTotal
    ? { seconds: tree, algorithm: `tree ${treeTier.name} x${treeRanks}${intra > 0 ? ` (after ${nv.name} x${k})` : ''}` }
    : { seconds: ringSecondsTotal, algorithm: ring.algorithm };
}

/** All-to-all where each rank holds `bytes` destined evenly to all ranks of the group. */
export function allToAll(hw: ClusterHardware, g: Group, bytes: number): CollectiveCost {
  if (g.size <= 1 || bytes <= 0) return { seconds: 0, algorithm: 'none' };
  const { k, n, outer } = split(hw, g);
  const nv = hw.tiers[0];
  const intraBytes = (bytes * (k - 1)) / g.size;
  const interBytes = (bytes * (g.size - k)) / g.size;
  const intra = intraBytes / nv.busBytesPerSecondPerGpu + (k > 1 ? nv.stepLatencySeconds : 0);
  const inter = n > 1 ? interBytes / outer.busBytesPerSecondPerGpu + outer.stepLatencySeconds : 0;
  return { seconds: Math.max(intra, inter), algorithm: n > 1 ? `all-to-all ${nv.name} x${k} + ${outer.name} x${n}` : `all-to-all ${nv.name} x${k}` };
}

/** Point-to-point send of `bytes` between ranks `strideGpus` apart (pipeline stages). */
export function sendRecv(hw: ClusterHardware, strideGpus: number, bytes: number): CollectiveCost {
  const tier = strideGpus < hw.gpusPerNode ? hw.tiers[0] : tierFor(hw, 2 * strideGpus);
  return { seconds: bytes / tier.busBytesPerSecondPerGpu + tier.stepLatencySeconds, algorithm: `p2p ${tier.name}` };
}
