import type { GpuSpec } from '../catalog/gpus.ts';
import type { Source } from '../catalog/source.ts';

/**
 * Matrix-multiply time on one GPU, from shape and precision (not one efficiency constant):
 *
 *   t = max(2MNK / (peak x kernelFraction x tileUtil x kUtil), bytes / (hbm x hbmFraction)) + launch
 *
 * - kernelFraction: best sustained fraction of the datasheet peak for a large, perfectly tiled
 *   GEMM at the GPU's power limit (published cuBLAS microbenchmarks, below);
 * - tileUtil: wave quantization. The output is cut into tileM x tileN tiles that run in waves of
 *   one tile per SM; util = MN / (waves x SMs x tileM x tileN) counts both padded tile edges and
 *   the idle SMs of the last wave;
 * - kUtil = K / (K + kOverhead): each tile's main loop pays a prologue/epilogue of about two
 *   k-blocks (64 for BF16, 128 for FP8: pipeline fill and the output write), which matters for small K;
 * - split-K: outputs with fewer tiles than SMs split K across SMs (FP32 partials written and re-read);
 * - bytes: A, B read once and C written once (operands in the GEMM precision, output in BF16).
 */
export interface GemmEfficiency {
  /** Sustained fraction of the dense peak for large square GEMMs, by precision. */
  readonly kernelFractionBf16: number;
  readonly kernelFractionFp8: number;
  readonly tileM: number;
  readonly tileN: number;
  /**
   * Fused attention kernels (FlashAttention/cuDNN): asymptotic fraction of the BF16 peak, forward and
   * backward; a call over L keys reaches fraction x L / (L + ATTENTION_HALF_LENGTH) (pipeline fill and
   * the half-empty causal diagonal blocks weigh more at short lengths).
   */
  readonly attentionForwardFraction: number;
  readonly attentionBackwardFraction: number;
  /**
   * The FlashAttention-2 kernels (the flash-attn package, what Transformer Engine runs when its cuDNN
   * backend is switched off with NVTE_FUSED_ATTN=0): written for Ampere, they do not use Hopper's
   * asynchronous TMA/WGMMA, so on H100 they reach a lower fraction of the peak.
   */
  readonly attentionFa2ForwardFraction: number;
  readonly attentionFa2BackwardFraction: number;
  readonly source: Source;
}

/** Main-loop K block: 64 for 16-bit operands, 128 for FP8 (CUTLASS Hopper defaults); fill + epilogue ~ two blocks. */
const kOverhead = (d: GemmDevice): number => (d.operandBytes === 1 ? 256 : 128);
/** Key length at which a fused attention kernel reaches half its asymptotic efficiency (from the FA3 sweeps above). */
export const ATTENTION_HALF_LENGTH = 745;
/**
 * Gap each kernel adds in an eager PyTorch step (launch from Python + tail): 4.2 us measured for one
 * operation issued from Python (GPU microbenchmark write-up citing ml-engineering's method; CUDA launch
 * latency alone is 2-5 us).
 */
export const KERNEL_LAUNCH_SECONDS = 4.2e-6;
/** Sustained fraction of HBM bandwidth for streaming kernels (STREAM-like copies on H100/A100: ~90%). */
export const HBM_FRACTION = 0.9;

const HOPPER: GemmEfficiency = {
  kernelFractionBf16: 0.801, kernelFractionFp8: 0.66, tileM: 128, tileN: 256,
  attentionForwardFraction: 0.655, attentionBackwardFraction: 0.5,
  // FA2 on H100: "only 35% utilization" (FlashAttention-3 paper, abstract); its backward is taken at the
  // same backward/forward ratio as the FA3/cuDNN kernels (0.5 / 0.655), 0.27.
  attentionFa2ForwardFraction: 0.35, attentionFa2BackwardFraction: 0.35 * (0.5 / 0.655),
  source: {
    ref: 'Maximum Achievable Matmul FLOPS (S. Bekman, ml-engineering, compute/accelerator README, mamf-finder.py): H100 SXM 792.1 of 989 TFLOP/s BF16 (80.1%); FP8 cuBLAS ~1,300 of 1,979 TFLOP/s (Transformer Engine FP8 GEMM benchmarks); FlashAttention-3 (Shah et al., 2024) and cuDNN 9 fused attention: ~600 TFLOP/s forward, ~450 backward BF16 (head dim 128, causal, 8k); FlashAttention-2 on H100: 35% of peak (FlashAttention-3 paper, Shah et al. 2024, abstract); Hopper CUTLASS default tile 128x256',
    kind: 'S',
    note: 'attention: fraction x L / (L + 745) with L the keys per kernel call: 0.60/0.46 at 8k, ~0.48/0.37 at 2k (FlashAttention-3 paper, causal, head dim 128)',
  },
};

const AMPERE: GemmEfficiency = {
  kernelFractionBf16: 0.859, kernelFractionFp8: 0.859, tileM: 256, tileN: 128,
  attentionForwardFraction: 0.65, attentionBackwardFraction: 0.5,
  // On Ampere the fused kernels are FlashAttention-2 itself.
  attentionFa2ForwardFraction: 0.65, attentionFa2BackwardFraction: 0.5,
  source: {
    ref: 'Maximum Achievable Matmul FLOPS (S. Bekman, ml-engineering): A100 SXM 267.9 of 312 TFLOP/s BF16 (85.9%); FlashAttention-2 (Dao, 2023): 50-73% of A100 peak; Ampere CUTLASS default tile 256x128',
    kind: 'S',
  },
};

const BLACKWELL: GemmEfficiency = {
  ...HOPPER,
  source: { ref: 'No public B200 GEMM sweep at the time of writing: Hopper fractions assumed', kind: 'S', note: 'assumption, not a measurement' },
};

export function gemmEfficiency(gpu: GpuSpec): GemmEfficiency {
  return gpu.id === 'a100' ? AMPERE : gpu.id === 'b200' ? BLACKWELL : HOPPER;
}

/** Precompiled per-GPU constants so the hot path does no lookups. */
export interface GemmDevice {
  readonly peakFlopsPerSecond: number;
  readonly kernelFraction: number;
  readonly sms: number;
  readonly tileM: number;
  readonly tileN: number;
  readonly hbmBytesPerSecond: number;
  /** Bytes per operand element (1 for FP8, 2 for BF16/FP16). */
  readonly operandBytes: number;
}

export function gemmDevice(gpu: GpuSpec, precision: 'bf16' | 'fp8'): GemmDevice {
  const e = gemmEfficiency(gpu);
  const fp8 = precision === 'fp8' && gpu.peakDenseFp8FlopsPerSecond.value !== null;
  return {
    peakFlopsPerSecond: fp8 ? (gpu.peakDenseFp8FlopsPerSecond.value as number) : gpu.peakDenseBf16FlopsPerSecond.value,
    kernelFraction: fp8 ? e.kernelFractionFp8 : e.kernelFractionBf16,
    sms: gpu.streamingMultiprocessors.value,
    tileM: e.tileM, tileN: e.tileN,
    hbmBytesPerSecond: gpu.hbmBandwidthBytesPerSecond.value * HBM_FRACTION,
    operandBytes: fp8 ? 1 : 2,
  };
}

/**
 * Split-K: when the output has fewer tiles than SMs, cuBLAS/CUTLASS (split-K, stream-K) cut K into
 * parts so every SM gets work, at the cost of writing and re-reading FP32 partial sums.
 */
export function splitK(d: GemmDevice, m: number, n: number, k: number): number {
  const tiles = Math.ceil(m / d.tileM) * Math.ceil(n / d.tileN);
  return tiles >= d.sms ? 1 : Math.max(1, Math.min(Math.floor(d.sms / tiles), Math.floor(k / 512)));
}

/** Fraction of the kernel's best throughput this shape achieves (tile + wave quantization, K fill). */
export function gemmUtilization(d: GemmDevice, m: number, n: number, k: number): number {
  const split = splitK(d, m, n, k);
  const tiles = Math.ceil(m / d.tileM) * Math.ceil(n / d.tileN) * split;
  const waves = Math.ceil(tiles / d.sms);
  const tileUtil = (m * n * split) / (waves * d.sms * d.tileM * d.tileN);
  const kPart = k / split;
  return tileUtil * (kPart / (kPart + kOverhead(d)));
}

/** Seconds for `count` independent GEMMs of shape (m x k) . (k x n). */
export function gemmSeconds(d: GemmDevice, m: number, n: number, k: number, count = 1): number {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const flops = 2 * m * n * k;
  const compute = flops / (d.peakFlopsPerSecond * d.kernelFraction * gemmUtilization(d, m, n, k));
  const split = splitK(d, m, n, k);
  const bytes = (m * k + k * n) * d.operandBytes + m * n * 2 + (split > 1 ? 2 * m * n * 4 * split : 0);
  const memory = bytes / d.hbmBytesPerSecond;
  return count * (Math.max(compute, memory) + KERNEL_LAUNCH_SECONDS);
}

/** Forward + backward (dgrad + wgrad) of a linear layer: tokens x inFeatures -> outFeatures. */
export function linearTrainSeconds(d: GemmDevice, tokens: number, inFeatures: number, outFeatures: number): { forward: number; backward: number } {
  const forward = gemmSeconds(d, tokens, outFeatures, inFeatures);
  const dgrad = gemmSeconds(d, tokens, inFeatures, outFeatures);
  const wgrad = gemmSeconds(d, inFeatures, outFeatures, tokens);
  return { forward, backward: dgrad + wgrad };
}
