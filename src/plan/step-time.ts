import { allReduce, reduceScatter, sendRecv } from './collectives.ts';
import type { PlanContext } from './context.ts';
import { linearTrainSeconds } from './gemm.ts';
import { layerCost } from './layer-cost.ts';
import { layersOnStage, type Layout } from './layout.ts';
import { stageParams } from './memory.ts';

/** One training step of a layout, broken down by cause. All times in seconds per step. */
export interface StepBreakdown {
  readonly stepSeconds: number;
  readonly microbatches: number;
  /** GEMMs + attention + element-wise + recompute across all micro-batches of the slowest stage. */
  readonly computeSeconds: number;
  readonly gemmSeconds: number;
  readonly attentionSeconds: number;
  readonly elementwiseSeconds: number;
  readonly recomputeSeconds: number;
  /** LM head and loss on the last stage (with its tensor-parallel collectives), plus the input embedding when pp = 1. */
  readonly headSeconds: number;
  readonly tp: { readonly totalSeconds: number; readonly exposedSeconds: number; readonly algorithm: string };
  readonly cp: { readonly exposedSeconds: number; readonly algorithm: string };
  readonly ep: { readonly seconds: number; readonly algorithm: string };
  readonly pp: { readonly bubbleSeconds: number; readonly bubbleFraction: number; readonly p2pExposedSeconds: number; readonly algorithm: string };
  readonly dp: { readonly totalSeconds: number; readonly exposedSeconds: number; readonly hiddenSeconds: number; readonly algorithm: string };
  readonly optimizerSeconds: number;
  /** Compute slowed by hidden collectives sharing the SMs. */
  readonly commContentionSeconds: number;
}

/**
 * SMs a running collective occupies: NCCL runs one CTA per channel and uses 16-32 channels on H100
 * (NCCL tuning docs, NCCL_MIN_NCHANNELS/NCCL_MAX_NCHANNELS); Transformer Engine userbuffer overlap
 * defaults to 16 SMs for pipelined reduce-scatter. 16 is used.
 */
const COMM_SMS = 16;
const LOSS_BYTES_PER_LOGIT = 44;
/** Megatron's DDP bucket: 40M parameters; the last bucket of each pass cannot be overlapped. */
const BUCKET_PARAMS = 40e6;
/** Gradients are reduced and parameters gathered in BF16 (Megatron-Core DDP default grad_reduce_in_fp32=False). */
const COMM_BYTES_PER_PARAM = 2;
/** Adam step, bytes per local parameter: read FP32 master, m, v, grad; write master, m, v; write BF16 copy. */
const ADAM_BYTES_PER_PARAM = 4 * 4 + 3 * 4 + 2;
/** Embedding backward per micro-batch, bytes per local embedding parameter: zero-fill the BF16 dense gradient (2), main_grad += grad (4 + 2 + 4). */
const EMBEDDING_GRAD_BYTES_PER_PARAM = 2 + 10;

export function stepTime(ctx: PlanContext, l: Layout, globalBatchSeqs: number): StepBreakdown {
  const s = ctx.shape;
  const hw = ctx.hw;
  const m = globalBatchSeqs / (l.dp * l.mbs);
  const layer = layerCost(ctx, l);
  const layersPerStage = layersOnStage(s.layers, l);
  const tokens = (l.mbs * ctx.seq) / l.cp;

  // LM head + vocab-parallel cross-entropy on the last stage. The loss streams the logits in FP32:
  // cast (read 2, write 4), max (4), exp (4 + 4), sum (4), softmax kept (4 + 4); backward
  // softmax - one-hot (4 + 4), cast back (4 + 2): ~44 bytes per logit.
  const head = linearTrainSeconds(ctx.gemmBf16, tokens, s.hidden, s.vocab / l.tp);
  const lossSeconds = (tokens * (s.vocab / l.tp) * LOSS_BYTES_PER_LOGIT) / ctx.hbmBytesPerSecond;
  // Tensor parallel around the vocab-parallel head: with SP its input is all-gathered forward, the input
  // gradient reduce-scattered and the input re-gathered for the weight gradient backward (3 passes);
  // without SP, one all-reduce of the input gradient.
  const actBytes = tokens * s.hidden * 2;
  const tpGroup = { size: l.tp, stride: 1 };
  const headTp = l.tp > 1 ? (l.sp ? 3 * reduceScatter(hw, tpGroup, actBytes).seconds : allReduce(hw, tpGroup, actBytes).seconds) : 0;
  const headSeconds = head.forward + head.backward + lossSeconds + headTp;
  // Input embedding (its stage: with pp = 1 the same GPU): the vocab-parallel lookup is reduce-scattered
  // (SP) or all-reduced over tp forward, gathered backward; its backward builds a dense gradient of the
  // local vocab shard (zero-filled, BF16) that the DDP hook adds into the FP32 main gradient
  // (read 4 + 2, write 4): 2 + 10 bytes per embedding element per micro-batch, memory bound.
  const embeddingSeconds = l.pp === 1
    ? (l.tp > 1 ? 2 * (l.sp ? reduceScatter(hw, tpGroup, actBytes).seconds : allReduce(hw, tpGroup, actBytes).seconds) : 0)
      + ((s.embeddingParams / l.tp) * EMBEDDING_GRAD_BYTES_PER_PARAM) / ctx.hbmBytesPerSecond
    : 0;

  const perMicrobatch = layersPerStage * layer.totalSeconds + headSeconds + embeddingSeconds;
  const forwardPerMicrobatch = layersPerStage * layer.forwardSeconds + head.forward;

  // Pipeline: interleaved 1F1B bubble (p-1)/v micro-batch times; p2p exposed while filling and draining.
  let bubble = 0;
  let p2p = 0;
  let ppAlgorithm = 'none';
  if (l.pp > 1) {
    bubble = ((l.pp - 1) / l.vpp) * perMicrobatch;
    const bytes = (tokens * s.hidden * 2) / (l.sp ? l.tp : 1);
    const hop = sendRecv(hw, l.tp * l.cp * l.dp, bytes);
    p2p = 2 * (l.pp * l.vpp - 1) * hop.seconds;
    ppAlgorithm = hop.algorithm;
  }

  // Data parallel: gradients reduced over dp x cp (experts over dp x cp / ep).
  const p = stageParams(s, l);
  const denseGroup = { size: l.dp * l.cp, stride: l.tp };
  const expertGroup = { size: Math.max(1, (l.dp * l.cp) / l.ep), stride: l.tp * l.ep };
  const denseBytes = p.dense * COMM_BYTES_PER_PARAM;
  const expertBytes = p.expert * COMM_BYTES_PER_PARAM;
  // Collectives are issued per bucket (ZeRO-1/2, DDP: 40M-parameter buckets) or per layer (ZeRO-3),
  // so each pays its own latency: n x cost(bytes / n).
  const buckets = Math.max(1, Math.ceil((p.dense + p.expert) / BUCKET_PARAMS));
  const pieces = l.zero >= 3 ? Math.max(1, layersPerStage) : buckets;
  let dpTotal = 0;
  let dpExposed = 0;
  let dpAlgorithm = 'none';
  if (l.dp * l.cp > 1) {
    const rs = reduceScatter(hw, denseGroup, denseBytes / pieces);
    const rsE = reduceScatter(hw, expertGroup, expertBytes / pieces);
    const gather = pieces * (rs.seconds + rsE.seconds); // all-gather costs the same as reduce-scatter
    const backwardWindow = perMicrobatch - forwardPerMicrobatch;
    if (l.zero === 0) {
      const arDense = allReduce(hw, denseGroup, denseBytes / pieces);
      const ar = pieces * (arDense.seconds + allReduce(hw, expertGroup, expertBytes / pieces).seconds);
      dpTotal = ar;
      dpExposed = Math.max(ar / pieces, ar - backwardWindow);
      dpAlgorithm = `all-reduce ${arDense.algorithm}, ${pieces} buckets`;
    } else if (l.zero < 3) {
      // Reduce-scatter hides behind the last micro-batch's backward, the parameter all-gather behind the first forward.
      dpTotal = 2 * gather;
      dpExposed = Math.max(gather / pieces, gather - backwardWindow) + Math.max(gather / pieces, gather - forwardPerMicrobatch);
      dpAlgorithm = `reduce-scatter + all-gather ${rs.algorithm}, ${pieces} buckets`;
    } else {
      // FSDP / ZeRO-3: gather parameters for forward and backward and reduce-scatter gradients, every micro-batch, layer by layer.
      const perMb = 3 * gather;
      dpTotal = m * perMb;
      dpExposed = m * Math.max(perMb / pieces, perMb - perMicrobatch);
      dpAlgorithm = `FSDP all-gather x2 + reduce-scatter per layer ${rs.algorithm}`;
    }
    if (!ctx.dpOverlap) dpExposed = dpTotal;
  }

  // Optimizer: Adam over the local shard, memory bound.
  const shard = l.zero >= 1 ? { d: l.dp * l.cp, e: Math.max(1, (l.dp * l.cp) / l.ep) } : { d: 1, e: 1 };
  const optimizerSeconds = ((p.dense / shard.d + p.expert / shard.e) * ADAM_BYTES_PER_PARAM) / ctx.hbmBytesPerSecond;

  const pipeline = m * perMicrobatch + bubble;
  // Hidden communication is not free: NCCL and userbuffer kernels occupy COMM_SMS of the GPU's SMs
  // while they run, slowing the compute they overlap by that share.
  const hiddenComm = (dpTotal - dpExposed) + m * layersPerStage * (layer.tpCommSeconds - layer.tpExposedSeconds);
  const contentionSeconds = hiddenComm * (COMM_SMS / ctx.hw.gpu.streamingMultiprocessors.value);
  const stepSeconds = pipeline + p2p + dpExposed + optimizerSeconds + contentionSeconds;
  const times = m * layersPerStage;
  return {
    stepSeconds, microbatches: m,
    computeSeconds: times * (layer.gemmSeconds + layer.attentionSeconds + layer.elementwiseSeconds + layer.recomputeSeconds) + m * (headSeconds + embeddingSeconds),
    gemmSeconds: times * layer.gemmSeconds, attentionSeconds: times * layer.attentionSeconds,
    elementwiseSeconds: times * layer.elementwiseSeconds, recomputeSeconds: times * layer.recomputeSeconds,
    headSeconds: m * (headSeconds + embeddingSeconds),
    tp: { totalSeconds: times * layer.tpCommSeconds, exposedSeconds: times * layer.tpExposedSeconds, algorithm: layer.tpAlgorithm },
    cp: { exposedSeconds: times * layer.cpExposedSeconds, algorithm: layer.cpAlgorithm },
    ep: { seconds: times * layer.epSeconds, algorithm: layer.epAlgorithm },
    pp: { bubbleSeconds: bubble, bubbleFraction: bubble / pipeline, p2pExposedSeconds: p2p, algorithm: ppAlgorithm },
    dp: { totalSeconds: dpTotal, exposedSeconds: dpExposed, hiddenSeconds: dpTotal - dpExposed, algorithm: dpAlgorithm },
    optimizerSeconds, commContentionSeconds: contentionSeconds,
  };
}
