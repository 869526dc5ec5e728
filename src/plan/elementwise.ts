import type { PlanContext } from './context.ts';
import { HBM_FRACTION } from './gemm.ts';
import { COMPILED_LAYER_HBM_FRACTION, OPS, type OpRate } from './h200-calibration.ts';
import type { Layout } from './layout.ts';
import type { ModelShape } from './shape.ts';

/**
 * Element-wise seconds of one layer, one micro-batch, forward + backward, when each op runs as its own
 * kernel (eager PyTorch, DeepSpeed) or a fusing compiler handles the layer (torch.compile), from the
 * achieved bytes/s of each op on an H200 (h200-calibration.ts; as fractions of HBM bandwidth).
 * `fusedBytes` is the per-token traffic of the fused-kernel model (layer-cost.ts, Transformer Engine),
 * used for a compiled gated layer; `extraBytes` is the MoE routing and FP8-cast traffic, which both
 * paths move at the rate of a plain copy.
 *
 * Eager ops of one layer, with the width each runs over (per token, on this tensor-parallel rank):
 * - 2 norms over the hidden width: native LayerNorm, or RMSNorm written from primitives for gated
 *   (Llama-family) models;
 * - 2 residual adds over the hidden width;
 * - the FFN activation over the FFN width: GELU, or SwiGLU for gated models;
 * - RoPE over the Q and K widths for gated models, from primitives like their RMSNorm (ideal 4);
 * - with dropout, 2 hidden dropouts over the hidden width;
 * - the autograd copy that stacks dQ, dK, dV back into the fused QKV layout (read + write);
 * - for models with linear biases (Megatron GPT, the non-gated family), the bias gradients: one read
 *   of each linear's output gradient, streaming at the HBM fraction.
 * The backward takes two thirds of the op time (it moves about twice the forward's bytes).
 *
 * Each op costs its microbenchmark's forward + backward time per element. That time includes the harness's
 * `x.grad += dx` (6 B per element), which in a layer matches the residual-gradient sum after each norm but
 * not GELU's or dropout's input gradient; the list leaves out the second dQKV copy and the weight-gradient
 * accumulation. docs/readme/planner.md ("Device check") gives the full op list and why it is not used.
 */
export function unfusedElementwiseSeconds(ctx: PlanContext, l: Layout, tokens: number, ffnWidth: number, fusedBytesPerToken: number, extraBytesPerToken: number): { forward: number; backward: number } {
  const s: ModelShape = ctx.shape;
  const peak = ctx.hw.gpu.hbmBandwidthBytesPerSecond.value;
  const a = 2;
  const spDiv = l.sp ? l.tp : 1;
  if (ctx.fusion === 'compiled' && s.gated) {
    const seconds = (fusedBytesPerToken * tokens) / (peak * COMPILED_LAYER_HBM_FRACTION) + (extraBytesPerToken * tokens) / (peak * OPS.residualAdd.eagerFraction);
    return { forward: seconds / 3, backward: (2 * seconds) / 3 };
  }
  const rate = (o: OpRate): number => peak * (ctx.fusion === 'compiled' ? Math.max(o.eagerFraction, o.compiledFraction) : o.eagerFraction);
  const run = (o: OpRate, width: number, count = 1, ideal = o.idealElements): number => (count * ideal * width * a * tokens) / rate(o);
  let seconds = run(s.gated ? OPS.rmsnorm : OPS.layernorm, s.hidden / spDiv, 2)
    + run(OPS.residualAdd, s.hidden / spDiv, 2)
    + run(s.gated ? OPS.swiglu : OPS.gelu, ffnWidth / l.tp)
    + run(OPS.residualAdd, (s.qWidth + 2 * s.kvWidth) / l.tp, 1, 2);
  if (s.gated) seconds += run(OPS.rmsnorm, (s.qWidth + s.kvWidth) / l.tp, 1, 4);
  if (ctx.dropout > 0) seconds += run(OPS.dropout, s.hidden / spDiv, 2);
  if (!s.gated) {
    const outputs = (s.qWidth + 2 * s.kvWidth + ffnWidth) / l.tp + 2 * s.hidden;
    seconds += (outputs * a * tokens) / (peak * HBM_FRACTION);
  }
  seconds += (extraBytesPerToken * tokens) / (peak * OPS.residualAdd.eagerFraction);
  return { forward: seconds / 3, backward: (2 * seconds) / 3 };
}
