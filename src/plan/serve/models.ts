import type { ModelArch } from '../../catalog/model-arch.ts';
import { MODELS } from '../../catalog/models.ts';
import { UnknownNameError } from '../../lib/errors.ts';

/**
 * Models serving benchmarks use that the training catalog lacks. Kept here (serving's own
 * catalog extension) with their sources; the training catalog stays as it is.
 */
export const SERVING_EXTRA_MODELS: Readonly<Record<string, ModelArch>> = {
  'llama2-70b': {
    name: 'Llama 2 70B', layers: 80, hidden: 8192, heads: 64, kvHeads: 8, ffn: 28672, ffnKind: 'gated',
    vocab: 32000, context: 4096, publishedParams: 69e9,
    source: { ref: 'Touvron et al., "Llama 2", 2023, Table 1 (70B, GQA); meta-llama/Llama-2-70b-hf config.json (80 layers, 8,192 hidden, 28,672 FFN, 64/8 heads, vocab 32,000)', kind: 'P' },
  },
  'llama3.1-8b': { ...MODELS['llama3-8b']!, name: 'Llama 3.1 8B', context: 131072 },
  'llama3.1-405b': { ...MODELS['llama3-405b']!, name: 'Llama 3.1 405B', context: 131072 },
};

export const servingModelIds = [...Object.keys(MODELS), ...Object.keys(SERVING_EXTRA_MODELS)];

/** A catalog model by id (training catalog first, then serving's extras). */
export function servingModel(id: string): ModelArch {
  const m = MODELS[id] ?? SERVING_EXTRA_MODELS[id];
  if (!m) throw new UnknownNameError('model', id, servingModelIds);
  return m;
}
