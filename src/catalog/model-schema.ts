import { isMap } from 'yaml';
import { loadYaml } from '../lib/yaml.ts';
import { z } from 'zod';
import { InputError, type InputIssue } from '../lib/errors.ts';
import type { ModelArch } from './model-arch.ts';
import { paramCounts } from './model-params.ts';

const posInt = z.number({ invalid_type_error: 'a positive whole number' }).int('a whole number').positive('a positive number');
const nonNegInt = z.number({ invalid_type_error: 'a whole number >= 0' }).int('a whole number').nonnegative('a whole number >= 0');

/** The `--model FILE.yaml` schema (snake_case). Catalog models (catalog/models.ts) carry the same fields. */
export const MODEL_YAML_SCHEMA = z.object({
  name: z.string({ invalid_type_error: 'a string', required_error: 'a model name' }).min(1),
  layers: posInt,
  hidden: posInt,
  heads: posInt,
  kv_heads: posInt.optional(),
  ffn: posInt,
  ffn_kind: z.enum(['gated', 'plain'], { errorMap: () => ({ message: 'gated (three matrices, SwiGLU) or plain (two)' }) }),
  vocab: posInt,
  experts: nonNegInt.optional(),
  top_k: posInt.optional(),
  shared_experts: nonNegInt.optional(),
  moe_ffn: posInt.optional(),
  dense_layers: nonNegInt.optional(),
  tied_embeddings: z.boolean({ invalid_type_error: 'true or false' }).optional(),
  head_dim: posInt.optional(),
  context: posInt.optional(),
  params: z.number().positive().optional(),
}).strict();

const KEYS = Object.keys(MODEL_YAML_SCHEMA.shape).join(', ');

/** Parses a model YAML file into a ModelArch; every problem is an InputError naming the key, value and line. */
export function parseModelYaml(text: string, fileName: string): ModelArch {
  const loaded = loadYaml(text, fileName);
  if (!isMap(loaded.doc.contents)) throw new InputError({ field: '(document)', value: typeof loaded.value, expected: `a mapping with keys ${KEYS}` }, fileName);
  const lineOf = (key: string): number | undefined => loaded.lineOf([key]);
  const raw = loaded.value as Record<string, unknown>;
  const parsed = MODEL_YAML_SCHEMA.safeParse(raw);
  if (!parsed.success) {
    const issues: InputIssue[] = parsed.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') return { field: i.keys.join(', '), value: i.keys.map((k) => raw[k]), expected: `only known keys: ${KEYS}`, line: lineOf(i.keys[0]) };
      const key = String(i.path[0] ?? '(document)');
      return { field: key, value: raw[key], expected: i.message === 'Required' ? 'a value (required key)' : i.message, line: lineOf(key) };
    });
    throw new InputError(issues, fileName);
  }
  const y = parsed.data;
  const issues: InputIssue[] = [];
  const kv = y.kv_heads ?? y.heads;
  if (y.heads % kv !== 0) issues.push({ field: 'kv_heads', value: kv, expected: `a divisor of heads (${y.heads})`, line: lineOf('kv_heads') });
  if (y.head_dim === undefined && y.hidden % y.heads !== 0) issues.push({ field: 'heads', value: y.heads, expected: `a divisor of hidden (${y.hidden}), or set head_dim`, line: lineOf('heads') });
  const experts = y.experts ?? 0;
  if (experts > 0 && y.top_k === undefined) issues.push({ field: 'top_k', value: undefined, expected: `experts each token is routed to (1..${experts}) when experts is set`, line: lineOf('experts') });
  if (y.top_k !== undefined && y.top_k > Math.max(experts, 0)) issues.push({ field: 'top_k', value: y.top_k, expected: experts > 0 ? `at most experts (${experts})` : 'only with experts > 0', line: lineOf('top_k') });
  if (y.dense_layers !== undefined && y.dense_layers >= y.layers) issues.push({ field: 'dense_layers', value: y.dense_layers, expected: `fewer than layers (${y.layers})`, line: lineOf('dense_layers') });
  if (issues.length > 0) throw new InputError(issues, fileName);
  const arch: ModelArch = {
    name: y.name, layers: y.layers, hidden: y.hidden, heads: y.heads, kvHeads: kv, ffn: y.ffn, ffnKind: y.ffn_kind, vocab: y.vocab,
    ...(experts > 0 ? { experts, topK: y.top_k } : {}),
    ...(y.shared_experts !== undefined ? { sharedExperts: y.shared_experts } : {}),
    ...(y.moe_ffn !== undefined ? { moeFfn: y.moe_ffn } : {}),
    ...(y.dense_layers !== undefined ? { denseLayers: y.dense_layers } : {}),
    ...(y.tied_embeddings !== undefined ? { tiedEmbeddings: y.tied_embeddings } : {}),
    ...(y.head_dim !== undefined ? { headDim: y.head_dim } : {}),
    context: y.context ?? 8192,
    publishedParams: 0,
    source: { ref: fileName, kind: 'D', note: 'user-supplied architecture' },
  };
  return { ...arch, publishedParams: y.params ?? paramCounts(arch).total };
}

/** The YAML form of an architecture (the same schema), e.g. to start a custom model from a catalog one. */
export function modelToYaml(m: ModelArch): string {
  const lines = [`name: ${JSON.stringify(m.name)}`, `layers: ${m.layers}`, `hidden: ${m.hidden}`, `heads: ${m.heads}`, `kv_heads: ${m.kvHeads}`, `ffn: ${m.ffn}`, `ffn_kind: ${m.ffnKind}`, `vocab: ${m.vocab}`];
  if (m.experts) lines.push(`experts: ${m.experts}`, `top_k: ${m.topK}`);
  if (m.sharedExperts) lines.push(`shared_experts: ${m.sharedExperts}`);
  if (m.moeFfn) lines.push(`moe_ffn: ${m.moeFfn}`);
  if (m.denseLayers) lines.push(`dense_layers: ${m.denseLayers}`);
  if (m.tiedEmbeddings) lines.push('tied_embeddings: true');
  if (m.headDim) lines.push(`head_dim: ${m.headDim}`);
  lines.push(`context: ${m.context}`);
  return lines.join('\n') + '\n';
}
