import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseScanner } from './sse.ts';

const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const delta = (content?: string) => ev({ choices: [{ index: 0, delta: content === undefined ? { role: 'assistant' } : { content } }] });

test('SSE scanner: text events counted across chunk splits and CRLF; the boundary is the first text, [DONE] or error', () => {
  const s = new SseScanner();
  assert.equal(s.push(delta()), false, 'a role-only event is not the first token');
  assert.equal(s.push(delta('')), false, 'empty content is no text');
  const text = delta('hel');
  assert.equal(s.push(text.slice(0, 10)), false, 'half an event closes nothing');
  assert.equal(s.push(text.slice(10)), true);
  assert.equal(s.push(delta('lo').replace(/\n/g, '\r\n') + delta(' world')), true);
  assert.equal(s.contentEvents, 3);
  assert.equal(s.push(ev({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3 } })), false);
  assert.deepEqual(s.usage, { prompt_tokens: 5, completion_tokens: 3 });
  assert.equal(s.push('data: [DONE]\n\n'), true);
  assert.equal(new SseScanner().push(ev({ error: { message: 'x' } })), true, 'an error event ends the hold');
  assert.equal(new SseScanner().push(': comment\n\n\n\nevent: ping\n\n'), false);
  const bad = new SseScanner();
  assert.equal(bad.push('data: {"usage": {not json\n\n'), false);
  assert.equal(bad.usage, undefined);
});
