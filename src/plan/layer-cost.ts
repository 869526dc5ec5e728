import { allReduce, allToAll, reduceScatter, sendRecv, tierFor } from './collectives.ts';
import type { PlanContext } from './context.ts';
import { ATTENTION_HALF_LENGTH, gemmSeconds, KERNEL_LAUNCH_SECONDS, linearTrainSeconds } from './gemm.ts';
import { moeRouting, type MoeRouting } from './moe.ts';
import { expertTp } from './layout.ts';
import { unfusedElementwiseSeconds } from './elementwise.ts';
import type { Layout } from './layout.ts';

/**
 * Time of one transformer layer for one micro-batch on one GPU, forward + backward, split by
 * cause. Depends only on tp, cp, ep, mbs, sp, recompute and tpOverlap, so it is memoized.
 */
export interface LayerCost {
  /** Matrix multiplies (projections, FFN or experts), forward + backward. */
  readonly gemmSeconds: number;
  /** Fused attention core (QK^T, softmax, PV), forward + backward. */
  readonly attentionSeconds: number;
  /** Memory-bound element-wise work: norms, residuals, RoPE, activation, FP8 casts, MoE permutes. */
  readonly elementwiseSeconds: number;
  /** Extra forward work of activation recomputation. */
  readonly recomputeSeconds: number;
  /** Tensor-parallel collectives: total and exposed (not hidden behind GEMMs). */
  readonly tpCommSeconds: number;
  readonly tpExposedSeconds: number;
  readonly tpAlgorithm: string;
  /** Context-parallel ring-attention KV exchange, exposed part. */
  readonly cpExposedSeconds: number;
  readonly cpAlgorithm: string;
  /** Expert-parallel all-to-all (dispatch + combine, forward + backward). */
  readonly epSeconds: number;
  readonly epAlgorithm: string;
  /** Forward-only part (for overlap windows). */
  readonly forwardSeconds: number;
  readonly totalSeconds: number;
}

/**
 * Bytes moved per token by the memory-bound kernels of one layer, forward and backward, and how many
 * such kernels run (each also pays a launch gap). Forward: 2 norms (read + write), 2 residual adds
 * (read 2, write 1), RoPE on Q and K, the FFN activation (SwiGLU reads 2 widths, writes 1). Backward:
 * about twice the forward. FP8 (Transformer Engine): each GEMM input is cast and transposed (read 2,
 * write 1 + 1 bytes) forward, and each GEMM's output gradient backward. MoE: router, permute and
 * unpermute copies of the routed tokens.
 */
function elementwise(ctx: PlanContext, l: Layout, moeShare: number, routing: MoeRouting): { forwardBytes: number; backwardBytes: number; kernels: number; width: number; extraBytes: number } {
  const s = ctx.shape;
  const spDiv = l.sp ? l.tp : 1;
  const a = 2; // BF16 activations
  const norms = (2 * 2 * s.hidden * a) / spDiv;
  const residual = (2 * 3 * s.hidden * a) / spDiv;
  const rope = (2 * (s.qWidth + s.kvWidth) * a) / l.tp;
  const width = (1 - moeShare) * s.ffn + moeShare * s.expertFfn * (s.topK + s.sharedExperts);
  const up = s.gated ? 2 : 1;
  const act = ((up + 1) * width * a) / l.tp;
  // Router softmax/top-k over the expert logits (FP32, ~4 passes); permute and unpermute of the local
  // tokens (read + write each); with several local experts, the gathered rows are sorted by expert
  // and back again (Megatron-Core sort_chunks_by_idxs): two more read + write passes over them.
  const router = (moeShare * 4 * 2 * s.experts * 4) / spDiv;
  const permute = (moeShare * (2 * 2 * s.topK * s.hidden * a)) / spDiv;
  const rowsPerToken = routing.rows / ((l.mbs * ctx.seq) / l.cp);
  const sortByExpert = routing.localExperts > 1 ? moeShare * 2 * 2 * rowsPerToken * s.hidden * a : 0;
  const forward = norms + residual + rope + act + router + permute + sortByExpert;
  let backward = 2 * forward;
  let fp8 = 0;
  const backwardBefore = backward;
  if (ctx.fp8) {
    // GEMM inputs: QKV (h), proj (d_q), FC1 (h, or the top-k routed copies), FC2 (the FFN width).
    const fc1Inputs = s.hidden * ((1 - moeShare) + moeShare * (s.topK + s.sharedExperts));
    fp8 = (4 * (s.hidden + s.qWidth + fc1Inputs + width)) / l.tp;
    backward += (4 * (s.qWidth + 2 * s.kvWidth + 2 * s.hidden + up * width)) / l.tp;
  }
  // Kernels per layer: ~14 forward and ~28 backward element-wise/norm/rope kernels; FP8 adds 4 + 8 casts; MoE ~10 + 20.
  // Without a grouped GEMM (SequentialMLP) each local expert runs its own fc1, activation, fc2 forward and
  // 2 x 2 GEMMs + activation backward (8 kernels), plus 4 FP8 casts.
  const perExpertKernels = s.moe && !ctx.moeGroupedGemm ? moeShare * routing.localExperts * (8 + (ctx.fp8 ? 4 : 0)) : 0;
  const kernels = 42 + (ctx.fp8 ? 12 : 0) + (s.moe ? 30 * moeShare : 0) + perExpertKernels;
  // MoE routing copies and FP8 casts, forward + backward: what the unfused model adds to its op list.
  const extraBytes = 3 * (router + permute + sortByExpert) + fp8 + (backward - backwardBefore);
  return { forwardBytes: forward + fp8, backwardBytes: backward, kernels, width, extraBytes };
}

/**
 * SMs a running collective occupies: NCCL runs one CTA per channel and uses 16-32 channels on H100
 * (NCCL tuning docs, NCCL_MIN_NCHANNELS/NCCL_MAX_NCHANNELS); Transformer Engine userbuffer overlap
 * defaults to 16 SMs for pipelined reduce-scatter. 16 is used.
 */
export const COMM_SMS = 16;

/**
 * Attention dropout inside a fused kernel draws one Philox4x32-10 number per score, forward and again
 * backward (the mask is regenerated from the seed, not stored): 10 rounds of two 32x32 multiplies and
 * xors per four outputs, about 15 integer instructions per output, plus the compare and scale: 16 per
 * score (Salmon et al., SC'11, "Parallel random numbers: as easy as 1, 2, 3"). They run on the INT32
 * pipes, 64 per SM per clock on Ampere and Hopper (NVIDIA A100 and H100 whitepapers), against 2,048
 * (A100) and 4,096 (H100) dense BF16 FLOPs per SM per clock, and are not hidden behind the MMAs.
 */
const PHILOX_OPS_PER_SCORE = 16;
function attentionDropoutSeconds(ctx: PlanContext, scores: number): number {
  const gpu = ctx.hw.gpu;
  const intOpsPerSecond = gpu.peakDenseBf16FlopsPerSecond.value / (gpu.id === 'a100' ? 2048 / 64 : 4096 / 64);
  return (scores * PHILOX_OPS_PER_SCORE) / intOpsPerSecond;
}

export function layerCost(ctx: PlanContext, l: Layout): LayerCost {
  const key = `${l.tp},${l.cp},${l.ep},${l.mbs},${l.sp ? 1 : 0},${l.recompute},${l.tpOverlap ? 1 : 0},${l.etp ?? ''}`;
  const hit = ctx.layerCache.get(key) as LayerCost | undefined;
  if (hit) return hit;
  const s = ctx.shape;
  const g = ctx.gemm;
  const t = l.tp;
  const tokens = (l.mbs * ctx.seq) / l.cp;
  const moeShare = s.moe ? s.moeLayers / s.layers : 0;

  // 1. GEMMs (per-layer average of dense and MoE layers). With TP communication overlap the
  // forward and dgrad GEMMs next to a collective run as tp chunks (ring exchange). The chunks are
  // pipelined (Transformer Engine userbuffers issue chunk i+1 while chunk i drains), so only the last
  // chunk's wave tail shows: the unsplit GEMM's time plus a launch per extra chunk; wgrad is not split.
  // While they run, the userbuffer communication kernels hold COMM_SMS SMs, so the chunks' tiles run
  // in waves over the remaining SMs (the SM contention of this hidden communication, counted here).
  const chunks = l.tpOverlap && t > 1 ? t : 1;
  const gOverlap = { ...g, sms: g.sms - COMM_SMS, peakFlopsPerSecond: (g.peakFlopsPerSecond * (g.sms - COMM_SMS)) / g.sms };
  const lin = (rows: number, inF: number, outF: number): { forward: number; backward: number } => {
    if (chunks === 1) return linearTrainSeconds(g, rows, inF, outF);
    const extra = (chunks - 1) * KERNEL_LAUNCH_SECONDS;
    const forward = gemmSeconds(gOverlap, rows, outF, inF) + extra;
    const dgrad = gemmSeconds(gOverlap, rows, inF, outF) + extra;
    return { forward, backward: dgrad + gemmSeconds(g, inF, outF, rows) };
  };
  const qkv = lin(tokens, s.hidden, (s.qWidth + 2 * s.kvWidth) / t);
  const proj = lin(tokens, s.qWidth / t, s.hidden);
  const up = s.gated ? 2 : 1;
  const fc1 = lin(tokens, s.hidden, (up * s.ffn) / t);
  const fc2 = lin(tokens, s.ffn / t, s.hidden);
  let ffnF = fc1.forward + fc2.forward;
  let ffnB = fc1.backward + fc2.backward;
  // Folded (etp set): each rank dispatches its sequence-parallel shard of the tokens over ep, and the
  // expert tensor-parallel group gathers etp of them: tokens x topK x etp / tp routed rows per rank.
  const et = expertTp(l);
  const routing = moeRouting(tokens * s.topK * (l.etp !== undefined && l.sp ? et / t : 1), s.experts, l.ep, ctx.moeCapacityFactor);
  if (s.moe) {
    // The local experts compute the routed rows of the slowest expert-parallel rank (moe.ts), each
    // expert its share: one GEMM per expert of rows / localExperts (a grouped GEMM runs the same tiles).
    const perExpert = routing.rows / routing.localExperts;
    const n = routing.localExperts;
    const expertLinear = (inF: number, outF: number): { forward: number; backward: number } => ({
      forward: gemmSeconds(g, perExpert, outF, inF, n),
      backward: gemmSeconds(g, perExpert, inF, outF, n) + gemmSeconds(g, inF, outF, perExpert, n),
    });
    const e1 = expertLinear(s.hidden, (up * s.expertFfn) / et);
    const e2 = expertLinear(s.expertFfn / et, s.hidden);
    const router = linearTrainSeconds(ctx.gemmBf16, tokens, s.hidden, s.experts);
    let moeF = e1.forward + e2.forward + router.forward;
    let moeB = e1.backward + e2.backward + router.backward;
    if (s.sharedExperts > 0) {
      const w = s.sharedExperts * s.expertFfn;
      const s1 = lin(tokens, s.hidden, (up * w) / t);
      const s2 = lin(tokens, w / t, s.hidden);
      moeF += s1.forward + s2.forward;
      moeB += s1.backward + s2.backward;
    }
    ffnF = moeShare * moeF + (1 - moeShare) * ffnF;
    ffnB = moeShare * moeB + (1 - moeShare) * ffnB;
  }
  const gemmF = qkv.forward + proj.forward + ffnF;
  const gemmB = qkv.backward + proj.backward + ffnB;

  // 2. Attention core. Fused (flash): causal, each CP rank's tokens attend to half the sequence on
  // average. Unfused: full s x s scores as batched GEMMs per head, then softmax, mask and dropout
  // streaming the scores through HBM (~9 bytes per score forward, ~10 backward: read/write BF16 + 1-byte mask).
  let attnF: number;
  let attnB: number;
  if (ctx.flashAttention) {
    // Context parallelism splits each rank's attention into calls over seq / (2 cp) keys (load-balanced chunks).
    const keysPerCall = l.cp > 1 ? ctx.seq / (2 * l.cp) : ctx.seq;
    const lengthEff = keysPerCall / (keysPerCall + ATTENTION_HALF_LENGTH);
    const attnFlopsF = (2 * 2 * tokens * (ctx.seq / 2) * s.qWidth) / t;
    attnF = attnFlopsF / (ctx.attentionForwardFlopsPerSecond * lengthEff);
    attnB = (2.5 * attnFlopsF) / (ctx.attentionBackwardFlopsPerSecond * lengthEff);
    if (ctx.dropout > 0) {
      const rng = attentionDropoutSeconds(ctx, (tokens * (ctx.seq / 2) * s.heads) / t);
      attnF += rng;
      attnB += rng;
    }
  } else {
    const hd = s.qWidth / s.heads;
    const batches = (l.mbs * s.heads) / t;
    const q = tokens / l.mbs;
    const scoreGemm = gemmSeconds(ctx.gemmBf16, q, ctx.seq, hd, batches) + gemmSeconds(ctx.gemmBf16, q, hd, ctx.seq, batches);
    const scores = batches * q * ctx.seq;
    attnF = scoreGemm + (scores * 9) / ctx.hbmBytesPerSecond;
    attnB = 2 * scoreGemm + (scores * 10) / ctx.hbmBytesPerSecond;
  }

  // 3. Element-wise, memory bound.
  const ew = elementwise(ctx, l, moeShare, routing);
  // Fused kernels (Transformer Engine, XLA) move the counted bytes near HBM speed; eager and compiled
  // PyTorch run the op list of elementwise.ts at the rates measured on an H200.
  let ewF: number;
  let ewB: number;
  if (ctx.fusion === 'te' || ctx.fusion === 'xla') {
    ewF = (ew.forwardBytes * tokens) / ctx.hbmBytesPerSecond;
    ewB = (ew.backwardBytes * tokens) / ctx.hbmBytesPerSecond;
  } else {
    const u = unfusedElementwiseSeconds(ctx, l, tokens, ew.width, ew.forwardBytes + ew.backwardBytes - ew.extraBytes, ew.extraBytes);
    ewF = u.forward;
    ewB = u.backward;
  }
  ewF += (ew.kernels / 3) * KERNEL_LAUNCH_SECONDS;
  ewB += ((2 * ew.kernels) / 3) * KERNEL_LAUNCH_SECONDS;

  const forward = gemmF + attnF + ewF;
  const recompute = l.recompute === 'full' ? forward : l.recompute === 'selective' ? attnF : 0;

  // 4. Tensor parallel. Without SP: 2 all-reduces forward, 2 backward. With SP (Korthikanti 2022):
  // forward all-gather, reduce-scatter, all-gather, reduce-scatter; backward the mirror 4 plus the
  // 2 all-gathers that re-gather the inputs of the column-parallel wgrads: 10 half-collectives.
  const actBytes = tokens * s.hidden * 2;
  const tpGroup = { size: t, stride: 1 };
  const ar = allReduce(ctx.hw, tpGroup, actBytes);
  const rs = reduceScatter(ctx.hw, tpGroup, actBytes);
  const perLayer = l.sp ? 10 * rs.seconds : 4 * ar.seconds;
  const recomputeShare = l.recompute === 'full' ? (l.sp ? 4 : 2) * (l.sp ? rs.seconds : ar.seconds) : 0;
  const tpComm = t > 1 ? perLayer + recomputeShare : 0;
  const gemmAll = gemmF + gemmB;
  const tpExposed = l.tpOverlap ? Math.max(tpComm / t, tpComm - gemmAll) : tpComm;

  // 5. Context parallel: ring attention sends K,V each of cp-1 steps forward; K,V and dK,dV backward.
  let cpExposed = 0;
  let cpAlgorithm = 'none';
  if (l.cp > 1) {
    const kvBytes = (tokens * 2 * s.kvWidth * 2) / t;
    // The ring spans tp x cp consecutive GPUs: past one node, its slowest hop crosses the fabric.
    const span = t * l.cp;
    const tier = tierFor(ctx.hw, span);
    const hop = span <= ctx.hw.gpusPerNode ? sendRecv(ctx.hw, t, kvBytes) : { seconds: kvBytes / tier.busBytesPerSecondPerGpu + tier.stepLatencySeconds, algorithm: `p2p ${tier.name}` };
    const comm = 3 * (l.cp - 1) * hop.seconds;
    cpExposed = Math.max(0, comm - (attnF + attnB));
    cpAlgorithm = `ring ${hop.algorithm} x${l.cp}`;
  }

  // 6. Expert parallel: dispatch + combine all-to-alls, forward and backward.
  let epSeconds = 0;
  let epAlgorithm = 'none';
  if (s.moe && l.ep > 1) {
    const bytes = ((tokens / (l.sp ? t : 1)) * s.topK * s.hidden * 2);
    // Inside dp x cp the ep ranks are tp x cp apart; folded, the expert mesh orders etp fastest, then ep.
    const a2a = allToAll(ctx.hw, { size: l.ep, stride: l.etp !== undefined ? et : t * l.cp }, bytes);
    epSeconds = moeShare * 4 * a2a.seconds;
    epAlgorithm = a2a.algorithm;
  }
  if (s.moe && et > 1) {
    // Experts are tensor-parallel too (Megatron-Core, expert TP = TP): the routed tokens are
    // all-gathered over tp before the experts and reduce-scattered after, forward and backward;
    // these are outside the userbuffer overlap of the dense projections.
    const routedBytes = routing.rows * s.hidden * 2;
    epSeconds += moeShare * 4 * reduceScatter(ctx.hw, { size: et, stride: 1 }, routedBytes).seconds;
    epAlgorithm += ` + ${l.etp !== undefined ? 'expert ' : ''}tp all-gather/reduce-scatter of routed tokens x${et}`;
  }

  const totalSeconds = gemmAll + attnF + attnB + ewF + ewB + recompute + tpExposed + cpExposed + epSeconds;
  if (chunks > 1) {
    // Overlap is a choice: where splitting costs more than it hides, the layer runs as without it.
    const plain = layerCost(ctx, { ...l, tpOverlap: false });
    if (plain.totalSeconds < totalSeconds) {
      ctx.layerCache.set(key, plain);
      return plain;
    }
  }
  const cost: LayerCost = {
    gemmSeconds: gemmAll, attentionSeconds: attnF + attnB, elementwiseSeconds: ewF + ewB, recomputeSeconds: recompute,
    tpCommSeconds: tpComm, tpExposedSeconds: tpExposed, tpAlgorithm: t > 1 ? (l.sp ? `reduce-scatter+all-gather ${rs.algorithm}` : `all-reduce ${ar.algorithm}`) : 'none',
    cpExposedSeconds: cpExposed, cpAlgorithm, epSeconds, epAlgorithm,
    forwardSeconds: forward + (tpExposed + epSeconds) / 2,
    totalSeconds,
  };
  ctx.layerCache.set(key, cost);
  return cost;
}
