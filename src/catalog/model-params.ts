import type { ModelArch } from './model-arch.ts';

/** Parameter counts derived from an architecture (norms and biases ignored: < 0.01%). */
export interface ParamCounts {
  readonly embedding: number;
  /** Attention projections, all layers. */
  readonly attention: number;
  /** Dense FFNs, all dense layers. */
  readonly denseFfn: number;
  /** All routed + shared expert FFNs, all MoE layers. */
  readonly expertFfn: number;
  /** Router weights. */
  readonly router: number;
  readonly total: number;
  /** Parameters a token passes through (top-k routed + shared experts). */
  readonly active: number;
}

export function headDim(m: ModelArch): number {
  return m.headDim ?? m.hidden / m.heads;
}

/** Attention parameters of one layer. */
export function attentionParamsPerLayer(m: ModelArch): number {
  const d = m.hidden;
  if (m.mla) {
    const a = m.mla;
    const qHead = a.qkNopeHeadDim + a.qkRopeHeadDim;
    const q = d * a.qLoraRank + a.qLoraRank * m.heads * qHead;
    const kv = d * (a.kvLoraRank + a.qkRopeHeadDim) + a.kvLoraRank * m.heads * (a.qkNopeHeadDim + a.vHeadDim);
    const o = m.heads * a.vHeadDim * d;
    return q + kv + o;
  }
  const hd = headDim(m);
  return d * m.heads * hd * 2 + d * m.kvHeads * hd * 2;
}

/** Parameters of one FFN of the given width. */
export function ffnParams(m: ModelArch, width: number): number {
  return (m.ffnKind === 'gated' ? 3 : 2) * m.hidden * width;
}

export function isMoe(m: ModelArch): boolean {
  return (m.experts ?? 0) > 0;
}

export function paramCounts(m: ModelArch): ParamCounts {
  const embedding = m.vocab * m.hidden * (m.tiedEmbeddings ? 1 : 2);
  const attention = attentionParamsPerLayer(m) * m.layers;
  const moe = isMoe(m);
  const denseLayerCount = moe ? (m.denseLayers ?? 0) : m.layers;
  const moeLayerCount = m.layers - denseLayerCount;
  const denseFfn = ffnParams(m, m.ffn) * denseLayerCount;
  const expertWidth = m.moeFfn ?? m.ffn;
  const perExpert = ffnParams(m, expertWidth);
  const experts = m.experts ?? 0;
  const shared = m.sharedExperts ?? 0;
  const expertFfn = moe ? perExpert * (experts + shared) * moeLayerCount : 0;
  const router = moe ? m.hidden * experts * moeLayerCount : 0;
  const total = embedding + attention + denseFfn + expertFfn + router;
  const activeExperts = moe ? perExpert * ((m.topK ?? 0) + shared) * moeLayerCount : 0;
  const active = embedding + attention + denseFfn + activeExperts + router;
  return { embedding, attention, denseFfn, expertFfn, router, total, active };
}
