/**
 * Microbenchmarks of element-wise ops and optimizer steps on one NVIDIA H200 (PyTorch 2.11, BF16),
 * copied from shared/data/profiles/h200/fusion.json (measured 2026-12-04 with fusion.py beside it).
 * Rates are kept as fractions of the H200's 4.8 TB/s HBM datasheet bandwidth so the same kernels
 * can be applied to another GPU's memory bandwidth (an assumption: same kernels, same efficiency).
 *
 * Element-wise ops: achieved bytes/s over the bytes a fused forward + backward kernel must move
 * (`idealElements` x elements x 2 B) on a 16,384 x 4,096 tensor.
 */
const H200_HBM_BYTES_PER_SECOND = 4.8e12;
const SRC = 'shared/data/profiles/h200/fusion.json';

export interface OpRate {
  /** Elements a fused forward + backward must read + write per element of the op's input width. */
  readonly idealElements: number;
  /** Achieved fraction of HBM bandwidth, eager and compiled alone. */
  readonly eagerFraction: number;
  readonly compiledFraction: number;
  readonly source: string;
}

const op = (name: string, idealElements: number, eagerGBps: number, compiledGBps: number): OpRate => ({
  idealElements, eagerFraction: (eagerGBps * 1e9) / H200_HBM_BYTES_PER_SECOND, compiledFraction: (compiledGBps * 1e9) / H200_HBM_BYTES_PER_SECOND,
  source: `${SRC} ops.${name}: ${eagerGBps.toFixed(0)} GB/s eager, ${compiledGBps.toFixed(0)} GB/s compiled`,
});

export const OPS = {
  layernorm: op('layernorm', 5, 1401.699, 1063.464),
  rmsnorm: op('rmsnorm', 5, 292.278, 764.338),
  gelu: op('gelu', 5, 1913.634, 966.096),
  swiglu: op('swiglu', 4, 847.570, 1027.795),
  dropout: op('dropout', 4, 1664.241, 970.511),
  residualAdd: op('residual_add', 4, 1245.293, 909.285),
} as const;

/**
 * A fusing compiler over a whole layer: torch.compile of the Llama layer (RMSNorm, SwiGLU, RoPE from
 * primitives) cut its element-wise time from 4.69 to 1.45 ms (layers.llama-h4096-gqa8, mbs 2 x seq 4096).
 * Over the bytes the planner's fused-kernel model (layer-cost.ts) counts for that layer, 4.63 GB fwd + bwd
 * (188,416 B/token forward, twice that backward, 8,192 tokens), that is 3.19 TB/s: 0.665 of HBM.
 * The GPT layer (native LayerNorm/GELU kernels) did not speed up (2.49 -> 2.84 ms), so for non-gated
 * models a compiled stack is costed as eager.
 */
export const COMPILED_LAYER_HBM_FRACTION = (4.63e9 / 1.453e-3) / H200_HBM_BYTES_PER_SECOND;
export const COMPILED_LAYER_SOURCE = `${SRC} layers.llama-h4096-gqa8: element-wise 4.69 ms eager, 1.45 ms compiled = 3.19 TB/s over the fused-kernel bytes; layers.gpt-h4096: 2.49 eager, 2.84 compiled (no gain)`;

/** AdamW steps over 500M FP32 masters, the full mixed-precision step (BF16 grad -> FP32, step, FP32 -> BF16 param): 40 B/param. */
export interface OptimizerRate {
  readonly bytesPerParam: number;
  /** Achieved fraction of HBM over one flat tensor. */
  readonly hbmFraction: number;
  /** Extra seconds per parameter tensor (1,000 tensors vs 1, same parameters): launches of the per-tensor casts and the step. */
  readonly secondsPerTensor: number;
  readonly source: string;
}
const optimizer = (name: string, flatSeconds: number, tensors1000Seconds: number): OptimizerRate => ({
  bytesPerParam: 40,
  hbmFraction: (500e6 * 40) / flatSeconds / H200_HBM_BYTES_PER_SECOND,
  secondsPerTensor: (tensors1000Seconds - flatSeconds) / 999,
  source: `${SRC} optimizer.flat/${name} and tensors-1000/${name}: mixed-precision step ${(flatSeconds * 1e3).toFixed(1)} ms over 1 tensor, ${(tensors1000Seconds * 1e3).toFixed(1)} ms over 1,000 (500M params, 40 B/param)`,
});
export const OPTIMIZERS = {
  fused: optimizer('fused', 0.005772384, 0.010339296),
  foreach: optimizer('foreach', 0.012745024, 0.019731457),
} as const;
