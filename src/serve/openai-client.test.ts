/**
 * Conformance: the official `openai` npm client against the gateway (fake upstreams behind it):
 * streaming and not, finish reasons, usage, stop sequences, errors and client aborts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startStack } from './test-helpers.ts';

const user = [{ role: 'user' as const, content: 'hi' }];
const clientFor = (base: string) => new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-test', maxRetries: 0, timeout: 10_000 });
const recent = (created: number) => Math.abs(created - Date.now() / 1000) < 600;

test('the official openai npm client chats through the gateway, streaming and not', async () => {
  const s = await startStack([{ words: 3 }]);
  try {
    const client = clientFor(s.base);
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['tiny-chat']);
    assert.ok(recent(models.data[0]!.created), `models created is a real time, got ${models.data[0]!.created}`);
    const r = await client.chat.completions.create({ model: 'tiny-chat', messages: user });
    assert.equal(r.choices[0]!.message.content, 'r0-0 r0-1 r0-2 ');
    assert.equal(r.choices[0]!.finish_reason, 'stop');
    assert.ok(recent(r.created));
    assert.deepEqual(r.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    const stream = await client.chat.completions.create({ model: 'tiny-chat', messages: user, stream: true });
    let text = '';
    const finish: (string | null)[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish.push(chunk.choices[0]?.finish_reason ?? null);
      assert.equal(chunk.usage ?? undefined, undefined, 'no usage chunk unless asked for');
    }
    assert.equal(text, 'r0-0 r0-1 r0-2 ');
    assert.equal(finish.at(-1), 'stop');
  } finally { await s.close(); }
});

test('max_tokens cutting the reply gives finish_reason "length"; stop sequences end it early', async () => {
  const s = await startStack([{ words: 6 }]);
  try {
    const client = clientFor(s.base);
    const cut = await client.chat.completions.create({ model: 'tiny-chat', messages: user, max_tokens: 2 });
    assert.equal(cut.choices[0]!.message.content, 'r0-0 r0-1 ');
    assert.equal(cut.choices[0]!.finish_reason, 'length');
    assert.equal(cut.usage?.completion_tokens, 2);
    const stream = await client.chat.completions.create({ model: 'tiny-chat', messages: user, max_completion_tokens: 4, stream: true });
    const reasons: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) reasons.push(chunk.choices[0].finish_reason);
    assert.deepEqual(reasons, ['length']);
    const stopped = await client.chat.completions.create({ model: 'tiny-chat', messages: user, stop: ['r0-3', 'zzz'] });
    assert.equal(stopped.choices[0]!.message.content, 'r0-0 r0-1 r0-2 ');
    assert.equal(stopped.choices[0]!.finish_reason, 'stop');
    // A budget the answer fits in is not a cut.
    const whole = await client.chat.completions.create({ model: 'tiny-chat', messages: user, max_tokens: 6 });
    assert.equal(whole.choices[0]!.finish_reason, 'stop');
  } finally { await s.close(); }
});

test('stream_options.include_usage: the final chunk carries usage and no choices', async () => {
  const s = await startStack([{ words: 4 }]);
  try {
    const stream = await clientFor(s.base).chat.completions.create({ model: 'tiny-chat', messages: user, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    assert.ok(chunks.slice(0, -1).every((c) => !c.usage));
  } finally { await s.close(); }
});

test('errors reach the client as typed OpenAI errors: n > 1, bad fields, unknown model, no replica', async () => {
  const s = await startStack([{ words: 2 }]);
  try {
    const client = clientFor(s.base);
    await assert.rejects(client.chat.completions.create({ model: 'tiny-chat', messages: user, n: 2 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'n' && /one choice per request/.test(e.message));
    await assert.rejects(client.chat.completions.create({ model: 'tiny-chat', messages: user, stop: ['a', 'b', 'c', 'd', 'e'] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'stop');
    await assert.rejects(client.chat.completions.create({ model: 'tiny-chat', messages: user, stream_options: { include_usage: true } }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'stream_options');
    await assert.rejects(client.chat.completions.create({ model: 'tiny-chat', messages: user, max_tokens: 0 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'max_tokens');
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages: user }),
      (e: unknown) => e instanceof OpenAI.NotFoundError && /served models: tiny-chat/.test(e.message));
    // n = 1 is the default and allowed.
    assert.equal((await client.chat.completions.create({ model: 'tiny-chat', messages: user, n: 1 })).choices.length, 1);
    s.fakes[0]!.options.mode = 'http-500';
    await assert.rejects(client.chat.completions.create({ model: 'tiny-chat', messages: user }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 503 && /all attempts failed/.test(e.message));
  } finally { await s.close(); }
});

test('a client that aborts mid-stream cancels the upstream request', async () => {
  const s = await startStack([{ words: 200, chunkDelayMs: 10 }]);
  try {
    const ac = new AbortController();
    const stream = await clientFor(s.base).chat.completions.create({ model: 'tiny-chat', messages: user, stream: true }, { signal: ac.signal });
    let got = 0;
    // The client ends the iteration on abort (quietly or with an abort error, by version).
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) got++;
        if (got === 3) ac.abort();
      }
    } catch (e) { assert.ok(e instanceof OpenAI.APIUserAbortError || (e as Error).name === 'AbortError', String(e)); }
    assert.equal(got, 3, 'no text after the abort');
    for (let i = 0; i < 200 && s.fakes[0]!.counters.cancelled === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(s.fakes[0]!.counters.cancelled, 1, 'the upstream saw the cancel');
    // The gateway keeps serving after the abort.
    const r = await clientFor(s.base).chat.completions.create({ model: 'tiny-chat', messages: user, max_tokens: 1 });
    assert.equal(r.choices[0]!.finish_reason, 'length');
  } finally { await s.close(); }
});
