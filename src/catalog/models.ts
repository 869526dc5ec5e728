import type { ModelArch } from './model-arch.ts';

/** Architectures used by the planner. Each entry cites the paper or config it is read from. */
export const MODELS: Readonly<Record<string, ModelArch>> = {
  'gpt3-175b': {
    name: 'GPT-3 175B', layers: 96, hidden: 12288, heads: 96, kvHeads: 96, ffn: 49152, ffnKind: 'plain',
    vocab: 50257, context: 2048, publishedParams: 175e9, tiedEmbeddings: true,
    source: { ref: 'Brown et al., "Language Models are Few-Shot Learners", 2020, Table 2.1', kind: 'P' },
  },
  'llama3-8b': {
    name: 'Llama 3 8B', layers: 32, hidden: 4096, heads: 32, kvHeads: 8, ffn: 14336, ffnKind: 'gated',
    vocab: 128256, context: 8192, publishedParams: 8.03e9,
    source: { ref: 'Llama Team, "The Llama 3 Herd of Models", 2024, Table 3; meta-llama/Meta-Llama-3-8B config.json', kind: 'P' },
  },
  'llama3-70b': {
    name: 'Llama 3 70B', layers: 80, hidden: 8192, heads: 64, kvHeads: 8, ffn: 28672, ffnKind: 'gated',
    vocab: 128256, context: 8192, publishedParams: 70.6e9,
    source: { ref: 'Llama Team, "The Llama 3 Herd of Models", 2024, Table 3; meta-llama/Meta-Llama-3-70B config.json', kind: 'P' },
  },
  'llama3-405b': {
    name: 'Llama 3.1 405B', layers: 126, hidden: 16384, heads: 128, kvHeads: 8, ffn: 53248, ffnKind: 'gated',
    vocab: 128256, context: 8192, publishedParams: 405e9,
    source: { ref: 'Llama Team, "The Llama 3 Herd of Models", 2024, Table 3 (126 layers, d=16,384, FFN 53,248, 128 heads, 8 KV heads)', kind: 'P' },
  },
  'mixtral-8x7b': {
    name: 'Mixtral 8x7B', layers: 32, hidden: 4096, heads: 32, kvHeads: 8, ffn: 14336, ffnKind: 'gated',
    vocab: 32000, context: 32768, experts: 8, topK: 2, publishedParams: 46.7e9, publishedActiveParams: 12.9e9,
    source: { ref: 'Jiang et al., "Mixtral of Experts", 2024, Table 1; mistralai/Mixtral-8x7B-v0.1 config.json', kind: 'P' },
  },
  'deepseek-v3': {
    name: 'DeepSeek-V3', layers: 61, hidden: 7168, heads: 128, kvHeads: 128, ffn: 18432, ffnKind: 'gated',
    vocab: 129280, context: 4096, experts: 256, topK: 8, sharedExperts: 1, moeFfn: 2048, denseLayers: 3,
    headDim: 128,
    mla: { qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128 },
    publishedParams: 671e9, publishedActiveParams: 37e9,
    source: { ref: 'DeepSeek-AI, "DeepSeek-V3 Technical Report", 2024, sec. 4.2; deepseek-ai/DeepSeek-V3 config.json (MTP module excluded)', kind: 'P' },
  },
  'grok-1': {
    name: 'Grok-1', layers: 64, hidden: 6144, heads: 48, kvHeads: 8, ffn: 32768, ffnKind: 'gated',
    vocab: 131072, context: 8192, experts: 8, topK: 2, headDim: 128, tiedEmbeddings: true,
    publishedParams: 314e9,
    source: { ref: 'xai-org/grok-1 open-weights release (model.py, README), 2024-03-17: 314B, 8 experts 2 active, 64 layers, 48 Q / 8 KV heads', kind: 'P' },
  },
};

export const modelIds = Object.keys(MODELS);
