import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startStack } from './test-helpers.ts';

test('the official openai npm client chats through the gateway, streaming and not', async () => {
  const s = await startStack([{ words: 3 }]);
  try {
    const client = new OpenAI({ baseURL: `${s.base}/v1`, apiKey: 'sk-test', maxRetries: 0, timeout: 10_000 });
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['tiny-chat']);
    const r = await client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.choices[0]!.message.content, 'r0-0 r0-1 r0-2 ');
    const stream = await client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'r0-0 r0-1 r0-2 ');
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => e instanceof OpenAI.NotFoundError && /served models: tiny-chat/.test(e.message));
  } finally { await s.close(); }
});
