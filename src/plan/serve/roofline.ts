import { peakFlopsPerSecond } from '../../catalog/gpus.ts';
import { headDim, isMoe, paramCounts, type ParamCounts } from '../../catalog/model-params.ts';
import type { ServingSetup, StepTime } from './types.ts';

/**
 * Roofline of one replica (one tensor-parallel group) serving a transformer.
 * - Each operator class takes max(FLOPs / (peak x gemmEfficiency), bytes / (HBM BW x hbmEfficiency)):
 *   GEMMs read the weights once per step; attention reads each sequence's KV cache.
 * - Prefill is compute-bound: 2 x active params FLOPs per token plus the causal attention term.
 * - Decode is bandwidth-bound at small batch (weights + KV bytes per step) and turns
 *   compute-bound at large batch.
 * - Tensor parallelism adds two all-reduces per layer on NVLink; expert parallelism replaces
 *   the FFN all-reduce of MoE layers by an all-to-all dispatch and combine.
 * Activations travel in BF16 (2 bytes); weights and KV cache in the serving precision.
 */

const ACTIVATION_BYTES = 2;

export function bytesPerValue(setup: ServingSetup): number {
  return setup.precision === 'fp8' ? 1 : 2;
}

export interface ModelShape {
  readonly params: ParamCounts;
  /** Parameters whose GEMMs run per token (active, minus the input embedding lookup). */
  readonly gemmParamsPerToken: number;
  /** Parameters outside the routed experts (attention, dense FFN, embeddings, shared experts). */
  readonly nonExpertParams: number;
  /** Routed expert parameters of all MoE layers. */
  readonly routedExpertParams: number;
  /** FLOPs of attention score + value products per token per context position. */
  readonly attentionFlopsPerContextToken: number;
}

export function modelShape(setup: ServingSetup): ModelShape {
  const m = setup.model;
  const params = paramCounts(m);
  const inputEmbedding = m.tiedEmbeddings ? 0 : m.vocab * m.hidden;
  const experts = m.experts ?? 0;
  const shared = m.sharedExperts ?? 0;
  const routedExpertParams = isMoe(m) ? params.expertFfn * (experts / (experts + shared)) : 0;
  const qkDim = m.mla ? m.mla.qkNopeHeadDim + m.mla.qkRopeHeadDim : headDim(m);
  const vDim = m.mla ? m.mla.vHeadDim : headDim(m);
  return {
    params,
    gemmParamsPerToken: params.active - inputEmbedding,
    nonExpertParams: params.total - routedExpertParams,
    routedExpertParams,
    attentionFlopsPerContextToken: 2 * m.layers * m.heads * (qkDim + vDim),
  };
}

/** KV-cache bytes one token occupies on one GPU of the replica. */
export function kvBytesPerTokenPerGpu(setup: ServingSetup): number {
  const m = setup.model;
  const b = bytesPerValue(setup);
  // MLA caches one latent per layer, replicated on every TP rank.
  if (m.mla) return m.layers * (m.mla.kvLoraRank + m.mla.qkRopeHeadDim) * b;
  // KV heads are split across TP ranks; with fewer heads than ranks each rank keeps one.
  const headsPerGpu = Math.max(1, Math.ceil(m.kvHeads / setup.layout.tp));
  return 2 * m.layers * headsPerGpu * headDim(m) * b;
}

/** Weight bytes resident on one GPU. */
export function weightBytesPerGpu(setup: ServingSetup): number {
  return (modelShape(setup).params.total * bytesPerValue(setup)) / setup.layout.tp;
}

/** Expected fraction of routed experts that at least one of `tokens` tokens selects. */
export function expertsTouchedFraction(setup: ServingSetup, tokens: number): number {
  const m = setup.model;
  if (!isMoe(m)) return 1;
  const pMiss = 1 - (m.topK ?? 1) / (m.experts ?? 1);
  return 1 - Math.pow(pMiss, tokens);
}

function gemmEff(setup: ServingSetup): number {
  return peakFlopsPerSecond(setup.gpu, setup.precision) * setup.assumptions.gemmEfficiency.value;
}

function hbmEff(setup: ServingSetup): number {
  return setup.gpu.hbmBandwidthBytesPerSecond.value * setup.assumptions.hbmEfficiency.value;
}

/** Communication time of one forward pass over `tokens` tokens (all layers). */
export function communicationSeconds(setup: ServingSetup, tokens: number): number {
  const { tp, ep } = setup.layout;
  if (tp <= 1) return 0;
  const m = setup.model;
  const a = setup.assumptions;
  // A replica wider than one NVLink domain runs its collectives at the NIC's pace.
  const crossNode = tp > (setup.gpusPerNvlinkDomain ?? 8);
  const nvlink = setup.gpu.nvlinkBidirectionalBytesPerSecond.value / 2;
  const linkBytesPerSecond = (crossNode ? Math.min(nvlink, a.nicBytesPerSecondPerGpu.value) : nvlink) * a.nvlinkEfficiency.value;
  const latency = crossNode ? a.crossNodeCollectiveLatencySeconds.value : a.collectiveLatencySeconds.value;
  const messageBytes = tokens * m.hidden * ACTIVATION_BYTES;
  // Ring all-reduce moves 2 (tp-1)/tp of the message through each GPU's link.
  const allReduce = latency + (2 * (tp - 1) / tp) * messageBytes / linkBytesPerSecond;
  const moeLayers = isMoe(m) ? m.layers - (m.denseLayers ?? 0) : 0;
  if (ep <= 1 || moeLayers === 0) return 2 * m.layers * allReduce;
  // All-to-all: each token's hidden state goes to topK experts, (ep-1)/ep of them remote; dispatch + combine.
  const a2aBytes = (tokens / ep) * (m.topK ?? 1) * m.hidden * ACTIVATION_BYTES * ((ep - 1) / ep);
  const allToAll = latency + a2aBytes / linkBytesPerSecond;
  return (2 * m.layers - moeLayers) * allReduce + moeLayers * 2 * allToAll;
}

/**
 * One forward pass that decodes `batch` sequences (mean context `contextTokens`) and prefills
 * `prefillTokens` tokens of prompts `promptTokens` long (chunked prefill mixes both in one step).
 * GEMMs: max(FLOPs, weight bytes); attention: decode max(FLOPs, KV bytes) + causal prefill FLOPs
 * (the mean prompt position sees promptTokens/2 earlier tokens); then the collectives.
 */
export function stepTime(setup: ServingSetup, batch: number, contextTokens: number, prefillTokens = 0, promptTokens = 0): StepTime {
  const shape = modelShape(setup);
  const tp = setup.layout.tp;
  const tokens = batch + prefillTokens;
  const passes = Math.max(1, Math.ceil(tokens / setup.assumptions.maxTokensPerStep.value));
  const gemmFlops = (2 * shape.gemmParamsPerToken * tokens) / tp;
  const routed = shape.routedExpertParams * expertsTouchedFraction(setup, tokens / passes);
  const weightBytes = (passes * (shape.nonExpertParams + routed) * bytesPerValue(setup)) / tp;
  const attnFlops = (shape.attentionFlopsPerContextToken * (contextTokens * batch + (promptTokens / 2) * prefillTokens)) / tp;
  const kvBytes = kvBytesPerTokenPerGpu(setup) * contextTokens * batch;
  const gemmCompute = gemmFlops / gemmEff(setup);
  const gemmMemory = weightBytes / hbmEff(setup);
  const attnCompute = attnFlops / gemmEff(setup);
  const attnMemory = kvBytes / hbmEff(setup);
  const comm = communicationSeconds(setup, tokens) + (passes - 1) * 2 * setup.model.layers * (tp > 1 ? setup.assumptions.collectiveLatencySeconds.value : 0);
  const computeSeconds = (gemmCompute >= gemmMemory ? gemmCompute : 0) + (attnCompute >= attnMemory ? attnCompute : 0);
  const memorySeconds = (gemmMemory > gemmCompute ? gemmMemory : 0) + (attnMemory > attnCompute ? attnMemory : 0);
  return { totalSeconds: computeSeconds + memorySeconds + comm, computeSeconds, memorySeconds, communicationSeconds: comm };
}

/** One decode-only step of `batch` sequences with mean context `contextTokens`. */
export function decodeStepTime(setup: ServingSetup, batch: number, contextTokens: number): StepTime {
  return stepTime(setup, batch, contextTokens);
}

/** Prefill-only time of `tokens` prompt tokens of prompts `promptTokens` long. */
export function prefillSeconds(setup: ServingSetup, tokens: number, promptTokens: number): number {
  return tokens <= 0 ? 0 : stepTime(setup, 0, 0, tokens, promptTokens).totalSeconds;
}
