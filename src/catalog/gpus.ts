import { sourced, type Sourced } from './source.ts';

/** A GPU model's datasheet figures (dense, no sparsity). Units are in the field names. */
export interface GpuSpec {
  readonly id: 'a100' | 'h100' | 'h200' | 'b200';
  readonly name: string;
  readonly peakDenseBf16FlopsPerSecond: Sourced;
  /** A100 has no FP8 tensor cores: null. */
  readonly peakDenseFp8FlopsPerSecond: Sourced<number | null>;
  readonly hbmBytes: Sourced;
  readonly hbmBandwidthBytesPerSecond: Sourced;
  /** NVLink bandwidth per GPU, both directions added (the datasheet convention). */
  readonly nvlinkBidirectionalBytesPerSecond: Sourced;
  readonly tdpWatts: Sourced;
  readonly streamingMultiprocessors: Sourced;
  /** Unit price for capex estimates, USD. */
  readonly unitPriceUsd: Sourced;
}

const T = 1e12;
const GB = 1e9;
const KLOCKWOOD_A100 = 'glennklockwood.com/garden/processors/A100 (cites NVIDIA A100 datasheet), via shared/data/hardware.md A1';
const KLOCKWOOD_H100 = 'glennklockwood.com/garden/processors/h100; NVIDIA H100 datasheet table, via shared/data/hardware.md A1';
const H200_REF = 'NVIDIA H200 datasheet figures (lzwjava.github.io, aiminingco.com), MLPerf v4.1 system JSON, via shared/data/hardware.md A1';
const B200_REF = 'glennklockwood.com/garden/processors/B200; docs.vultr.com hardware overview, via shared/data/hardware.md A1';

export const GPUS: Readonly<Record<GpuSpec['id'], GpuSpec>> = {
  a100: {
    id: 'a100', name: 'NVIDIA A100 SXM4 80GB',
    peakDenseBf16FlopsPerSecond: sourced(312 * T, KLOCKWOOD_A100),
    peakDenseFp8FlopsPerSecond: sourced(null, KLOCKWOOD_A100, 'S', 'Ampere has no FP8 tensor cores'),
    hbmBytes: sourced(80 * GB, KLOCKWOOD_A100),
    hbmBandwidthBytesPerSecond: sourced(2.039e12, KLOCKWOOD_A100),
    nvlinkBidirectionalBytesPerSecond: sourced(600 * GB, KLOCKWOOD_A100, 'S', 'NVLink3, 12 links x 50 GB/s'),
    tdpWatts: sourced(400, KLOCKWOOD_A100),
    streamingMultiprocessors: sourced(108, 'NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020)', 'P'),
    unitPriceUsd: sourced(15_000, 'epoch-research/training-cost-trends (A100 price estimates)', 'S', 'estimate'),
  },
  h100: {
    id: 'h100', name: 'NVIDIA H100 SXM5 80GB',
    peakDenseBf16FlopsPerSecond: sourced(989.4 * T, KLOCKWOOD_H100),
    peakDenseFp8FlopsPerSecond: sourced(1978.9 * T, KLOCKWOOD_H100),
    hbmBytes: sourced(80 * GB, KLOCKWOOD_H100),
    hbmBandwidthBytesPerSecond: sourced(3.35e12, KLOCKWOOD_H100),
    nvlinkBidirectionalBytesPerSecond: sourced(900 * GB, KLOCKWOOD_H100, 'S', 'NVLink4, 18 links x 50 GB/s'),
    tdpWatts: sourced(700, KLOCKWOOD_H100),
    streamingMultiprocessors: sourced(132, KLOCKWOOD_H100),
    unitPriceUsd: sourced(30_000, 'huggingface.co/hardware/h100 MSRP; Raymond James $25-30k (via shared/data/hardware.md A8)'),
  },
  h200: {
    id: 'h200', name: 'NVIDIA H200 SXM 141GB',
    peakDenseBf16FlopsPerSecond: sourced(989 * T, H200_REF, 'S', 'same GH100 die as H100'),
    peakDenseFp8FlopsPerSecond: sourced(1979 * T, H200_REF),
    hbmBytes: sourced(141 * GB, H200_REF),
    hbmBandwidthBytesPerSecond: sourced(4.8e12, H200_REF),
    nvlinkBidirectionalBytesPerSecond: sourced(900 * GB, H200_REF),
    tdpWatts: sourced(700, H200_REF),
    streamingMultiprocessors: sourced(132, H200_REF, 'S', 'GH100 die, as H100 SXM5'),
    unitPriceUsd: sourced(32_000, 'huggingface.co/hardware/h200 MSRP (via shared/data/hardware.md A8)'),
  },
  b200: {
    id: 'b200', name: 'NVIDIA B200 (HGX, 1,000 W)',
    peakDenseBf16FlopsPerSecond: sourced(2250 * T, B200_REF),
    peakDenseFp8FlopsPerSecond: sourced(4500 * T, B200_REF),
    hbmBytes: sourced(180 * GB, B200_REF, 'S', '192 GB on the package; NVIDIA lists 180 GB usable on HGX'),
    hbmBandwidthBytesPerSecond: sourced(8e12, B200_REF),
    nvlinkBidirectionalBytesPerSecond: sourced(1800 * GB, B200_REF, 'S', 'NVLink5'),
    tdpWatts: sourced(1000, B200_REF),
    streamingMultiprocessors: sourced(148, 'NVIDIA Blackwell architecture technical brief (2024)', 'P'),
    unitPriceUsd: sourced(40_000, 'analyst estimates of B200 pricing, 2024 (press reports of $30-40k)', 'S', 'estimate'),
  },
};

export const gpuIds = Object.keys(GPUS) as GpuSpec['id'][];

/** Peak dense FLOP/s for a precision; throws for a precision the GPU lacks (a bug at the caller: validate first). */
export function peakFlopsPerSecond(gpu: GpuSpec, precision: 'bf16' | 'fp8'): number {
  if (precision === 'bf16') return gpu.peakDenseBf16FlopsPerSecond.value;
  const v = gpu.peakDenseFp8FlopsPerSecond.value;
  if (v === null) throw new Error(`${gpu.name} has no FP8 tensor cores`);
  return v;
}
