import type { ModelArch } from '../catalog/model-arch.ts';
import { attentionParamsPerLayer, ffnParams, headDim, isMoe, paramCounts } from '../catalog/model-params.ts';

/**
 * The dimensions of a transformer that the planner's cost models read, computed once per model.
 * Widths are full (before tensor parallelism).
 */
export interface ModelShape {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  /** Query width heads x headDim, and key (= value) width kvHeads x headDim. */
  readonly qWidth: number;
  readonly kvWidth: number;
  readonly vocab: number;
  readonly gated: boolean;
  readonly ffn: number;
  readonly moe: boolean;
  readonly experts: number;
  readonly topK: number;
  readonly sharedExperts: number;
  readonly expertFfn: number;
  /** MoE layers (the rest have a dense FFN). */
  readonly moeLayers: number;
  readonly tiedEmbeddings: boolean;
  /** Parameters replicated across expert parallelism (attention, dense FFNs, shared experts, router), per layer on average. */
  readonly denseParamsPerLayer: number;
  /** Routed expert parameters per layer on average (split over ep). */
  readonly expertParamsPerLayer: number;
  /** Embedding matrix parameters (one copy). */
  readonly embeddingParams: number;
  readonly totalParams: number;
  readonly activeParams: number;
}

export function modelShape(m: ModelArch): ModelShape {
  const hd = headDim(m);
  const moe = isMoe(m);
  const moeLayers = moe ? m.layers - (m.denseLayers ?? 0) : 0;
  const experts = m.experts ?? 0;
  const expertFfn = m.moeFfn ?? m.ffn;
  const shared = m.sharedExperts ?? 0;
  const attention = attentionParamsPerLayer(m) * m.layers;
  const denseFfn = ffnParams(m, m.ffn) * (m.layers - moeLayers);
  const sharedFfn = ffnParams(m, expertFfn) * shared * moeLayers;
  const router = m.hidden * experts * moeLayers;
  const routed = ffnParams(m, expertFfn) * experts * moeLayers;
  const pc = paramCounts(m);
  return {
    layers: m.layers, hidden: m.hidden, heads: m.heads, kvHeads: m.kvHeads,
    qWidth: m.heads * hd, kvWidth: m.kvHeads * hd, vocab: m.vocab,
    gated: m.ffnKind === 'gated', ffn: m.ffn, moe, experts, topK: m.topK ?? 0, sharedExperts: shared, expertFfn, moeLayers,
    tiedEmbeddings: m.tiedEmbeddings === true,
    denseParamsPerLayer: (attention + denseFfn + sharedFfn + router) / m.layers,
    expertParamsPerLayer: routed / m.layers,
    embeddingParams: m.vocab * m.hidden,
    totalParams: pc.total, activeParams: pc.active,
  };
}

/**
 * Model FLOPs per token, the convention MFU is reported in (stated in every report):
 * 6 x active parameters (forward 2, backward 4 per parameter per token; the input embedding
 * lookup included, as in 6N) plus causal attention 6 x layers x seq x (heads x headDim)
 * (QK^T and PV: 4 x s x d_q per token forward, halved by the causal mask, x3 for forward+backward).
 * Recomputation is not counted (that would be hardware FLOPs).
 */
export const FLOPS_CONVENTION = '6 x active parameters x tokens + causal attention 6 x layers x seq x (heads x head_dim) per token; recompute excluded';

export function modelFlopsPerToken(s: ModelShape, seq: number): number {
  return 6 * s.activeParams + 6 * s.layers * seq * s.qWidth;
}
