/**
 * The gateway under hostile input: deep nesting, oversized, aborted, slow and lying bodies
 * (never a 5xx, the gateway keeps serving), and tenants taken from API keys alone whenever
 * keys are configured (X-Tenant cannot spend or dodge another tenant's rate limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest } from '../../test/helpers/raw-http.ts';
import { chatBody, post, startStack } from './test-helpers.ts';

test('gateway: deep nesting 400 naming the limit, 5 MiB 413 naming the limit, aborts and lying lengths no 5xx', { timeout: 30_000 }, async () => {
  const s = await startStack([{ words: 2 }], { requestTimeoutMs: 500 });
  const port = Number(new URL(s.base).port);
  const headers = { 'content-type': 'application/json' };
  try {
    // Valid up to an extra field nested 5,000 levels: used to overflow the stack on re-serialising.
    const deep = `{"model":"tiny-chat","messages":[{"role":"user","content":"hi"}],"metadata":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const r = await post(s.base, deep);
    assert.equal(r.status, 400);
    assert.match((await r.json() as { error: { message: string } }).error.message, /nested more than 64 levels; expected JSON nested at most 64 levels deep/);
    const ok = await post(s.base, chatBody({ metadata: JSON.parse(`${'['.repeat(60)}${']'.repeat(60)}`) }));
    assert.equal(ok.status, 200);

    const big = await rawRequest({ port, path: '/v1/chat/completions', headers, body: [Buffer.alloc(5 << 20, 0x20)] });
    assert.equal(big.status, 413, big.socketError);
    assert.match(big.text, /expected at most 1048576 bytes \(the gateway's body limit\)/);

    await rawRequest({ port, path: '/v1/chat/completions', headers, body: ['{"model":"tiny'], contentLength: 5000, then: 'destroy' });
    const lying = await rawRequest({ port, path: '/v1/chat/completions', headers, body: [chatBody()], contentLength: 5000, then: 'hold' });
    assert.equal(lying.status, 408, 'lying Content-Length: request timeout');
    assert.ok(lying.elapsedMs < 4000, `held ${lying.elapsedMs} ms`);
    const body = chatBody();
    // The client keeps its side open, as real ones do (a half-close reads as going away).
    const slow = await rawRequest({ port, path: '/v1/chat/completions', headers: { ...headers, connection: 'close' }, body: [body.slice(0, 10), body.slice(10)], chunkDelayMs: 100, then: 'hold' });
    assert.equal(slow.status, 200, JSON.stringify(slow));
    assert.equal((await post(s.base, chatBody())).status, 200, 'still serving');
  } finally { await s.close(); }
});

test('gateway: with API keys configured the tenant comes from the key alone; X-Tenant cannot exhaust or dodge a limit', async () => {
  const now = 0;
  const s = await startStack([{ words: 1 }], { tenantLimits: { '*': { requestsPerMinute: 2 } }, apiKeys: { 'sk-a': 'team-a' }, nowMs: () => now });
  try {
    // An anonymous caller naming team-a spends the anonymous bucket, not team-a's.
    const spoof = (t: string) => post(s.base, chatBody(), { 'x-tenant': t });
    assert.equal((await spoof('team-a')).status, 200);
    assert.equal((await spoof('team-a')).status, 200);
    assert.equal((await spoof('team-a')).status, 429, 'anonymous is limited');
    // ... and changing the header each time does not dodge it.
    assert.equal((await spoof('team-x')).status, 429);
    assert.equal((await spoof('team-y')).status, 429);
    // team-a's own budget is untouched.
    const a = { authorization: 'Bearer sk-a' };
    assert.equal((await post(s.base, chatBody(), a)).status, 200);
    assert.equal((await post(s.base, chatBody(), { ...a, 'x-tenant': 'team-b' })).status, 200);
    assert.equal((await post(s.base, chatBody(), a)).status, 429);
    // A key the gateway does not know is refused, not treated as a tenant of its own.
    const unknown = await post(s.base, chatBody(), { authorization: 'Bearer sk-made-up' });
    assert.equal(unknown.status, 401);
    const stats = await (await fetch(`${s.base}/v1/gateway/stats`)).json() as { tenants: Record<string, { requests: number; rejected: number }> };
    assert.deepEqual(Object.keys(stats.tenants).sort(), ['anonymous', 'team-a']);
    assert.equal(stats.tenants['team-a']!.requests, 2);
  } finally { await s.close(); }
});

test('gateway without keys: X-Tenant is a label, and a malformed one is refused by name', async () => {
  const s = await startStack([{ words: 1 }]);
  try {
    assert.equal((await post(s.base, chatBody(), { 'x-tenant': 'research' })).status, 200);
    const bad = await post(s.base, chatBody(), { 'x-tenant': 'Robert"); DROP' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json() as { error: { param: string } }).error.param, 'x-tenant');
  } finally { await s.close(); }
});
