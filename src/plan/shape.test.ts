import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS } from '../catalog/models.ts';
import { modelFlopsPerToken, modelShape } from './shape.ts';

const within1pct = (got: number, want: number, what: string): void => {
  assert.ok(Math.abs(got / want - 1) < 0.01, `${what}: got ${got.toExponential(4)}, hand calculation ${want.toExponential(4)}`);
};

test('dense: Llama 3 8B model FLOPs per token at seq 8192 match the hand calculation within 1%', () => {
  // Hand: embeddings 2 x 128256 x 4096; per layer attention 4096x4096x2 + 4096x1024x2, SwiGLU 3 x 4096 x 14336.
  const params = 2 * 128256 * 4096 + 32 * (4096 * 4096 * 2 + 4096 * 1024 * 2 + 3 * 4096 * 14336);
  const hand = 6 * params + 6 * 32 * 8192 * 4096;
  within1pct(modelFlopsPerToken(modelShape(MODELS['llama3-8b']!), 8192), hand, 'llama3-8b');
  within1pct(hand, 6 * 8.03e9 + 6.44e9, 'hand vs published 8.03B');
});

test('MoE: Mixtral 8x7B counts only the 2 routed experts a token passes through, within 1%', () => {
  // Hand: active = embeddings + attention + 2 of 8 experts + router, 32 layers.
  const active = 2 * 32000 * 4096 + 32 * (4096 * 4096 * 2 + 4096 * 1024 * 2 + 2 * 3 * 4096 * 14336 + 4096 * 8);
  const hand = 6 * active + 6 * 32 * 4096 * 4096;
  const shape = modelShape(MODELS['mixtral-8x7b']!);
  within1pct(modelFlopsPerToken(shape, 4096), hand, 'mixtral-8x7b');
  within1pct(shape.activeParams, 12.9e9, 'mixtral active vs published 12.9B');
  assert.ok(shape.totalParams > 3 * shape.activeParams, 'total parameters include all 8 experts');
});

test('MoE: Grok-1 (tied embeddings, head dim 128) FLOPs per token within 1% of the hand calculation', () => {
  const active = 131072 * 6144 + 64 * (6144 * 48 * 128 * 2 + 6144 * 8 * 128 * 2 + 2 * 3 * 6144 * 32768 + 6144 * 8);
  const hand = 6 * active + 6 * 64 * 8192 * 48 * 128;
  within1pct(modelFlopsPerToken(modelShape(MODELS['grok-1']!), 8192), hand, 'grok-1');
});

test('attention FLOPs grow linearly with sequence length', () => {
  const s = modelShape(MODELS['llama3-70b']!);
  const d1 = modelFlopsPerToken(s, 8192) - modelFlopsPerToken(s, 4096);
  const d2 = modelFlopsPerToken(s, 16384) - modelFlopsPerToken(s, 8192);
  within1pct(d2, 2 * d1, 'attention term');
});
