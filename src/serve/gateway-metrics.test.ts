// The gateway's /metrics over real HTTP and fake replicas (src/serve/fake-upstream.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { GatewayMetrics } from './gateway-metrics.ts';
import { hasPromtool, PROMTOOL_MISSING, promtoolCheck, sample } from '../control/prom-check.ts';
import { chatBody, post, sseData, startStack } from './test-helpers.ts';

test('gateway /metrics: requests by code, tokens by kind, latency and TTFT histograms, replicas by state', async (t) => {
  const s = await startStack([{ words: 5 }, { words: 5 }]);
  try {
    assert.equal((await post(s.base, chatBody())).status, 200);
    const st = await post(s.base, chatBody({ stream: true }));
    assert.equal((await sseData(st)).at(-1), '[DONE]');
    assert.equal((await post(s.base, JSON.stringify({ model: 'grok-9', messages: [{ role: 'user', content: 'x' }] }))).status, 404);
    assert.equal((await post(s.base, chatBody({ n: 2 }))).status, 400);
    assert.equal((await post(s.base, JSON.stringify({ model: 'grok-9', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }))).status, 400);
    assert.equal((await post(s.base, '{"model": "tiny-chat", "messages": ')).status, 400);
    s.gw.pool.all()[1]!.healthy = false;
    const res = await fetch(`${s.base}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(sample(text, 'gigafactory_gateway_requests_total{model="tiny-chat",tenant="anonymous",code="200"}'), 2);
    assert.equal(sample(text, 'gigafactory_gateway_requests_total{model="unknown",tenant="anonymous",code="404"}'), 1, 'an unserved model name never becomes a label');
    assert.equal(sample(text, 'gigafactory_gateway_requests_total{model="tiny-chat",tenant="anonymous",code="400"}'), 1, 'a bad field of a request for a served model counts under that model');
    assert.equal(sample(text, 'gigafactory_gateway_requests_total{model="unknown",tenant="anonymous",code="400"}'), 2, 'a bad request for an unserved model, or a body that does not parse, stays "unknown"');
    assert.equal(sample(text, 'gigafactory_gateway_tokens_total{model="tiny-chat",tenant="anonymous",kind="completion"}'), 10);
    assert.ok((sample(text, 'gigafactory_gateway_tokens_total{model="tiny-chat",tenant="anonymous",kind="prompt"}') ?? 0) > 0);
    assert.equal(sample(text, 'gigafactory_gateway_ttft_seconds_count{model="tiny-chat",tenant="anonymous"}'), 2);
    assert.equal(sample(text, 'gigafactory_gateway_request_seconds_count{model="tiny-chat",tenant="anonymous"}'), 3, 'every answered request, the 400 too');
    assert.equal(sample(text, 'gigafactory_gateway_replicas{model="tiny-chat",state="healthy"}'), 1);
    assert.equal(sample(text, 'gigafactory_gateway_replicas{model="tiny-chat",state="unhealthy"}'), 1);
    if (!hasPromtool()) { t.skip(PROMTOOL_MISSING); return; }
    assert.equal(promtoolCheck(text), '');
  } finally { await s.close(); }
});

test('gateway /metrics with API keys: a key is needed, a tenant sees only its own series, an admin key all', async () => {
  const s = await startStack([{ words: 3 }], { apiKeys: { 'key-a': 'alpha', 'key-b': 'beta', 'key-ops': 'admin' } });
  try {
    assert.equal((await post(s.base, chatBody(), { authorization: 'Bearer key-a' })).status, 200);
    assert.equal((await post(s.base, chatBody(), { authorization: 'Bearer key-b' })).status, 200);
    const scrape = (key?: string) => fetch(`${s.base}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    assert.equal((await scrape()).status, 401);
    assert.equal((await scrape('nope')).status, 401);
    const alpha = await (await scrape('key-a')).text();
    assert.equal(sample(alpha, 'gigafactory_gateway_requests_total{model="tiny-chat",tenant="alpha",code="200"}'), 1);
    assert.doesNotMatch(alpha, /tenant="beta"/);
    const all = await (await scrape('key-ops')).text();
    assert.equal(sample(all, 'gigafactory_gateway_requests_total{model="tiny-chat",tenant="beta",code="200"}'), 1);
  } finally { await s.close(); }
});

test('gateway /metrics: time to first token is the first streamed bytes, not the end of the stream', async () => {
  const s = await startStack([{ words: 6, chunkDelayMs: 40 }]);
  try {
    assert.equal((await sseData(await post(s.base, chatBody({ stream: true })))).at(-1), '[DONE]');
    const text = await (await fetch(`${s.base}/metrics`)).text();
    const ttft = sample(text, 'gigafactory_gateway_ttft_seconds_sum{model="tiny-chat",tenant="anonymous"}')!;
    const total = sample(text, 'gigafactory_gateway_request_seconds_sum{model="tiny-chat",tenant="anonymous"}')!;
    assert.ok(total >= 0.2, `the stream took ${total} s`);
    assert.ok(ttft < total / 2, `ttft ${ttft} s vs request ${total} s`);
  } finally { await s.close(); }
});

test('gateway metrics: a latency on a bucket bound counts in that bucket (le), buckets are cumulative, codes and tokens per series', async () => {
  let nowMs = 0;
  const m = new GatewayMetrics(() => [], () => nowMs);
  const finish = (ms: number, statusCode: number, done = true) => {
    const res = Object.assign(new EventEmitter(), { statusCode, writableFinished: done }) as unknown as ServerResponse;
    const t = m.track(res);
    t.model = 'tiny-chat';
    t.tenant = 'alpha';
    if (statusCode === 200) t.tokens(3, 4);
    nowMs += ms;
    res.emit('close');
  };
  finish(5, 200); // exactly 0.005 s
  finish(6, 200);
  finish(1, 200, false); // client went away: 499
  const text = await m.registry.metrics();
  const s = (name: string) => sample(text, name);
  assert.equal(s('gigafactory_gateway_request_seconds_bucket{le="0.005",model="tiny-chat",tenant="alpha"}'), 2, '0.005 s and 0.001 s are <= 0.005');
  assert.equal(s('gigafactory_gateway_request_seconds_bucket{le="0.01",model="tiny-chat",tenant="alpha"}'), 3);
  assert.equal(s('gigafactory_gateway_request_seconds_bucket{le="+Inf",model="tiny-chat",tenant="alpha"}'), 3);
  assert.equal(s('gigafactory_gateway_request_seconds_sum{model="tiny-chat",tenant="alpha"}'), 0.012);
  assert.equal(s('gigafactory_gateway_requests_total{model="tiny-chat",tenant="alpha",code="200"}'), 2);
  assert.equal(s('gigafactory_gateway_requests_total{model="tiny-chat",tenant="alpha",code="499"}'), 1);
  assert.equal(s('gigafactory_gateway_tokens_total{model="tiny-chat",tenant="alpha",kind="completion"}'), 12);
});
