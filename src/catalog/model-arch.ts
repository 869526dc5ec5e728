import type { Source } from './source.ts';

/**
 * A transformer architecture, as the planner needs it. The YAML schema of `--model FILE.yaml`
 * is the same with snake_case keys (kv_heads, ffn_kind, moe_ffn, ...).
 */
export interface ModelArch {
  readonly name: string;
  readonly layers: number;
  readonly hidden: number;
  /** Query heads. */
  readonly heads: number;
  /** Key/value heads (grouped-query attention); equals heads for plain multi-head attention. */
  readonly kvHeads: number;
  /** Width of a dense FFN (and of the dense layers of an MoE model). */
  readonly ffn: number;
  /** gated: three matrices (SwiGLU); plain: two (GELU). */
  readonly ffnKind: 'gated' | 'plain';
  readonly vocab: number;
  /** Routed experts per MoE layer (absent or 0: dense). */
  readonly experts?: number;
  /** Experts each token is routed to. */
  readonly topK?: number;
  /** Always-active shared experts per MoE layer (DeepSeek style). */
  readonly sharedExperts?: number;
  /** Width of one expert's FFN (defaults to ffn). */
  readonly moeFfn?: number;
  /** Leading layers that keep a dense FFN in an MoE model (DeepSeek-V3: 3). */
  readonly denseLayers?: number;
  /** Input and output embeddings share one matrix. */
  readonly tiedEmbeddings?: boolean;
  /** Head dimension when it is not hidden / heads. */
  readonly headDim?: number;
  /** Multi-head latent attention (DeepSeek-V2/V3); absent: standard (grouped-query) attention. */
  readonly mla?: {
    readonly qLoraRank: number;
    readonly kvLoraRank: number;
    readonly qkNopeHeadDim: number;
    readonly qkRopeHeadDim: number;
    readonly vHeadDim: number;
  };
  /** Context length the model was trained at. */
  readonly context: number;
  /** Published total parameter count, for the 1% check. */
  readonly publishedParams: number;
  /** Published active parameters per token (MoE), if stated. */
  readonly publishedActiveParams?: number;
  readonly source: Source;
}
