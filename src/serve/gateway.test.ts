import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { chatBody, contentOf, post, sseData, startStack } from './test-helpers.ts';

test('non-streaming and streaming chat round trips; /v1/models lists the served model', async () => {
  const s = await startStack([{ words: 5 }]);
  try {
    const models = await (await fetch(`${s.base}/v1/models`)).json() as { data: { id: string }[] };
    assert.deepEqual(models.data.map((m) => m.id), ['tiny-chat']);
    const r = await post(s.base, chatBody());
    assert.equal(r.status, 200);
    const j = await r.json() as { choices: { message: { content: string } }[] };
    assert.equal(j.choices[0]!.message.content, 'r0-0 r0-1 r0-2 r0-3 r0-4 ');
    const st = await post(s.base, chatBody({ stream: true }));
    assert.equal(st.status, 200);
    assert.match(st.headers.get('content-type') ?? '', /text\/event-stream/);
    const data = await sseData(st);
    assert.equal(data.at(-1), '[DONE]');
    assert.equal(contentOf(data), 'r0-0 r0-1 r0-2 r0-3 r0-4 ');
  } finally { await s.close(); }
});

test('bad requests get OpenAI-style 400/404/405 error objects', async () => {
  const s = await startStack([{ model: 'tiny-chat' }]);
  try {
    const cases: [string, number, RegExp, string | null][] = [
      ['{not json', 400, /not valid JSON/, null],
      [JSON.stringify({ model: 'tiny-chat' }), 400, /messages/, 'messages'],
      [JSON.stringify({ model: 'tiny-chat', messages: [{ role: 'wizard', content: 'x' }] }), 400, /role/, 'messages[0].role'],
      [JSON.stringify({ model: 'tiny-chat', messages: [{ role: 'user', content: 'x' }], max_tokens: -3 }), 400, /max_tokens/, 'max_tokens'],
      [JSON.stringify({ model: 'grok-9', messages: [{ role: 'user', content: 'x' }] }), 404, /served models: tiny-chat/, 'model'],
      ['[]', 400, /JSON object/, null],
    ];
    for (const [body, status, message, param] of cases) {
      const r = await post(s.base, body);
      assert.equal(r.status, status, body);
      const j = await r.json() as { error: { message: string; type: string; param: string | null } };
      assert.match(j.error.message, message);
      assert.equal(j.error.param, param);
      assert.equal(typeof j.error.type, 'string');
    }
    assert.equal((await fetch(`${s.base}/v1/chat/completions`)).status, 405);
    assert.equal((await fetch(`${s.base}/nope`)).status, 404);
  } finally { await s.close(); }
});

test('no healthy replica: 503 naming the reason', async () => {
  const s = await startStack([{ mode: 'http-500' }]);
  try {
    await s.gw.checkHealth();
    const r = await post(s.base, chatBody());
    assert.equal(r.status, 503);
    const j = await r.json() as { error: { message: string; code: string } };
    assert.match(j.error.message, /no healthy replica.*HTTP 500/);
    // Back in rotation once its health check passes.
    s.fakes[0]!.options.mode = 'ok';
    await s.gw.checkHealth();
    assert.equal((await post(s.base, chatBody())).status, 200);
  } finally { await s.close(); }
});

test('a replica that dies before the first token is retried on another, with no duplicated text', async () => {
  for (const mode of ['drop-before-first-token', 'http-500'] as const) {
    const s = await startStack([{ mode, words: 4 }, { mode, words: 4 }, { mode: 'ok', words: 4 }]);
    try {
      for (let i = 0; i < 3; i++) {
        const data = await sseData(await post(s.base, chatBody({ stream: true })));
        assert.equal(contentOf(data), 'r2-0 r2-1 r2-2 r2-3 ', mode);
        assert.equal(data.filter((d) => d === '[DONE]').length, 1);
        assert.equal(data.filter((d) => d.includes('"role"')).length, 1, 'one role chunk only');
      }
    } finally { await s.close(); }
  }
});

test('a replica that dies mid-stream ends the stream with an error event; the gateway keeps serving', async () => {
  const s = await startStack([{ mode: 'drop-mid-stream', words: 10, chunkDelayMs: 1 }]);
  try {
    const data = await sseData(await post(s.base, chatBody({ stream: true })));
    assert.ok(contentOf(data.filter((d) => !d.includes('"error"'))).length > 0);
    assert.match(data.at(-1) ?? '', /stream_interrupted/);
    s.fakes[0]!.options.mode = 'ok';
    assert.equal((await post(s.base, chatBody())).status, 200);
  } finally { await s.close(); }
});

test('a client that disconnects mid-stream cancels the upstream request', async () => {
  const s = await startStack([{ words: 200, chunkDelayMs: 5 }]);
  try {
    const ac = new AbortController();
    const r = await fetch(`${s.base}/v1/chat/completions`, { method: 'POST', body: chatBody({ stream: true }), headers: { 'content-type': 'application/json' }, signal: ac.signal });
    const reader = r.body!.getReader();
    await reader.read();
    ac.abort();
    const deadline = Date.now() + 5000;
    while (s.fakes[0]!.counters.cancelled === 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 20));
    assert.equal(s.fakes[0]!.counters.cancelled, 1);
    assert.equal((await post(s.base, chatBody())).status, 200);
    assert.equal(s.gw.pool.all()[0]!.inflight, 0);
    assert.equal(s.gw.pool.all()[0]!.outstandingTokens, 0);
  } finally { await s.close(); }
});

test('truncated bodies, garbage bytes and oversized bodies do not crash the gateway', async () => {
  const s = await startStack([{}], { maxBodyBytes: 1000 });
  try {
    const port = Number(new URL(s.base).port);
    const raw = (payload: string) => new Promise<string>((ok) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.write(payload));
      let got = '';
      sock.on('data', (d) => { got += d.toString(); });
      sock.on('error', () => ok(got));
      sock.on('close', () => ok(got));
      setTimeout(() => sock.destroy(), 300);
    });
    await raw('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"model": "tiny');
    assert.match(await raw('\x00\x01 garbage\r\n\r\n'), /400/);
    const big = await post(s.base, JSON.stringify({ model: 'tiny-chat', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }));
    assert.equal(big.status, 413);
    assert.equal((await post(s.base, chatBody())).status, 200);
  } finally { await s.close(); }
});

test('per-tenant rate limits answer 429 with Retry-After, and tokens are counted per tenant', async () => {
  let now = 0;
  const s = await startStack([{ words: 3 }], { tenantLimits: { '*': { requestsPerMinute: 2 } }, apiKeys: { 'sk-a': 'team-a' }, nowMs: () => now });
  try {
    const a = { authorization: 'Bearer sk-a' };
    assert.equal((await post(s.base, chatBody(), a)).status, 200);
    assert.equal((await post(s.base, chatBody({ stream: true }), a)).status, 200);
    const limited = await post(s.base, chatBody(), a);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal((await limited.json() as { error: { code: string } }).error.code, 'rate_limit_exceeded');
    assert.equal((await post(s.base, chatBody(), { 'x-tenant': 'team-b' })).status, 200, 'other tenants unaffected');
    now += 60_000;
    assert.equal((await post(s.base, chatBody(), a)).status, 200, 'bucket refills');
    const stats = await (await fetch(`${s.base}/v1/gateway/stats`)).json() as { tenants: Record<string, { requests: number; completionTokens: number; rejected: number }> };
    assert.equal(stats.tenants['team-a']!.requests, 3);
    assert.equal(stats.tenants['team-a']!.rejected, 1);
    assert.equal(stats.tenants['team-a']!.completionTokens, 9);
  } finally { await s.close(); }
});

test('least outstanding tokens spreads concurrent load; prefix affinity pins a conversation', async () => {
  const s = await startStack([{ words: 20, chunkDelayMs: 2 }, { words: 20, chunkDelayMs: 2 }]);
  try {
    await Promise.all(Array.from({ length: 6 }, () => post(s.base, chatBody({ stream: true })).then((r) => r.text())));
    const served = s.gw.pool.all().map((r) => r.served);
    assert.deepEqual(served, [3, 3]);
  } finally { await s.close(); }
  const p = await startStack([{ words: 2 }, { words: 2 }, { words: 2 }], { routing: 'prefix' });
  try {
    const conv = (n: number) => chatBody({ messages: [{ role: 'system', content: `conversation ${n}` }, { role: 'user', content: 'hi' }] });
    const first = await (await post(p.base, conv(7))).json() as { choices: { message: { content: string } }[] };
    for (let i = 0; i < 4; i++) {
      const again = await (await post(p.base, conv(7))).json() as { choices: { message: { content: string } }[] };
      assert.equal(again.choices[0]!.message.content, first.choices[0]!.message.content);
    }
  } finally { await p.close(); }
});
