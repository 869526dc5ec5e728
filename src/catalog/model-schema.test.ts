import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../lib/errors.ts';
import { MODELS } from './models.ts';
import { modelToYaml, parseModelYaml } from './model-schema.ts';
import { paramCounts } from './model-params.ts';

const MOE = `name: tiny-moe
layers: 4
hidden: 512
heads: 8
kv_heads: 2
ffn: 1024
ffn_kind: gated
vocab: 32000
experts: 8
top_k: 2
moe_ffn: 256
dense_layers: 1
tied_embeddings: true
`;

test('a MoE model YAML maps snake_case keys onto the architecture', () => {
  const m = parseModelYaml(MOE, 'tiny.yaml');
  assert.equal(m.kvHeads, 2);
  assert.equal(m.experts, 8);
  assert.equal(m.topK, 2);
  assert.equal(m.moeFfn, 256);
  assert.equal(m.denseLayers, 1);
  assert.equal(m.tiedEmbeddings, true);
  assert.equal(m.publishedParams, paramCounts(m).total);
});

test('catalog models round-trip through the same schema', () => {
  for (const id of ['llama3-405b', 'grok-1', 'mixtral-8x7b']) {
    const m = MODELS[id]!;
    const back = parseModelYaml(modelToYaml(m), `${id}.yaml`);
    assert.equal(paramCounts(back).total, paramCounts(m).total, id);
  }
});

const bad: { name: string; text: string; field: string; line?: number }[] = [
  { name: 'unknown key', text: MOE + 'expertz: 3\n', field: 'expertz', line: 14 },
  { name: 'negative layers', text: MOE.replace('layers: 4', 'layers: -4'), field: 'layers', line: 2 },
  { name: 'bad ffn_kind', text: MOE.replace('ffn_kind: gated', 'ffn_kind: swiglu'), field: 'ffn_kind', line: 7 },
  { name: 'kv_heads not dividing heads', text: MOE.replace('kv_heads: 2', 'kv_heads: 3'), field: 'kv_heads', line: 5 },
  { name: 'top_k above experts', text: MOE.replace('top_k: 2', 'top_k: 9'), field: 'top_k', line: 10 },
  { name: 'missing hidden', text: MOE.replace('hidden: 512\n', ''), field: 'hidden' },
  { name: 'not YAML', text: 'name: [unclosed', field: '(yaml syntax)' },
];
for (const c of bad) {
  test(`bad model YAML (${c.name}) names the field${c.line ? ' and line' : ''}`, () => {
    assert.throws(() => parseModelYaml(c.text, 'm.yaml'), (e: unknown) => {
      if (!(e instanceof InputError)) return false;
      const issue = e.issues.find((i) => i.field.includes(c.field));
      return issue !== undefined && (c.line === undefined || issue.line === c.line) && e.message.includes('m.yaml');
    });
  });
}
