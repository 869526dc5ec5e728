// Fuzz: 1,200 random and mutated requests against a running control plane (127.0.0.1, fake
// executor so accepted jobs need no processes). No request may get a 5xx; afterwards the
// server still answers and every job stored before the fuzz is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../lib/rng.ts';
import { FakeExecutor } from '../fake-executor.ts';
import { startControlPlane } from '../server.ts';
import { rawRequest } from '../../../test/helpers/raw-http.ts';

const VALID = { name: 'fuzz-base', nodes: 1, ranks_per_node: 2, gpus_per_node: 0, command: ['echo', 'hi'], env: { A: 'b' }, max_restarts: 1, priority: 10 };
const KEYS = [...Object.keys(VALID), 'workdir', 'checkpoint_dir', 'kind', 'preemptible', 'heartbeat_timeout_seconds', 'estimated_runtime_seconds'];

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 3 ? 6 : 9)) {
    case 0: return null;
    case 1: return rng.next() < 0.5;
    case 2: return rng.int(-1e6, 1e6);
    case 3: return [Infinity, -1, 0, 1e308, -0.5, 2 ** 53 + 1, 12_501][rng.int(0, 6)];
    case 4: return '';
    case 5: return 'x'.repeat(rng.int(1, 5000));
    case 6: return ['\u0000', '../../etc/passwd', '💥', '$(rm -rf /)', '{"a":1}', 'job-1'][rng.int(0, 5)];
    case 7: return Array.from({ length: rng.int(0, 5) }, () => randomValue(rng, depth + 1));
    default: return Object.fromEntries(Array.from({ length: rng.int(0, 4) }, () => [rng.pick([...KEYS, '__proto__', 'constructor', 'x']), randomValue(rng, depth + 1)]));
  }
}

function mutate(rng: Rng): unknown {
  const spec: Record<string, unknown> = structuredClone(VALID);
  for (let i = rng.int(1, 3); i > 0; i--) {
    const k = rng.pick(KEYS);
    const op = rng.int(0, 3);
    if (op === 0) delete spec[k];
    else if (op === 1) spec[k] = randomValue(rng);
    else if (op === 2) spec[`${k}_typo`] = 1;
    else spec[k] = (VALID as Record<string, unknown>)[k];
  }
  return spec;
}

function body(rng: Rng): string {
  const kind = rng.int(0, 10);
  if (kind === 10) { // nesting around the limit and far past it, in a field or as the whole body
    const n = rng.pick([63, 64, 65, 1000, 5000]);
    const nest = '['.repeat(n) + ']'.repeat(n);
    return rng.next() < 0.5 ? nest : JSON.stringify({ ...VALID, env: null }).replace('null', nest);
  }
  if (kind <= 5) return JSON.stringify(mutate(rng));
  if (kind <= 7) return JSON.stringify(randomValue(rng));
  const valid = JSON.stringify(VALID);
  if (kind === 8) return valid.slice(0, rng.int(0, valid.length - 1)); // truncated JSON
  return Array.from({ length: rng.int(0, 200) }, () => String.fromCharCode(rng.int(0, 0xffff))).join('');
}

test('fuzz: 1,200 random and mutated requests; no 5xx, server answers, stored jobs intact', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-fuzz-'));
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 50, executor: new FakeExecutor(10), localNodes: 2 });
  const token = cp.newAdminToken!;
  const rng = new Rng(20260101);
  try {
    const post = (path: string, b: string, headers: Record<string, string> = {}) =>
      fetch(cp.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: b });
    for (let i = 0; i < 5; i++) assert.equal((await post('/v1/jobs', JSON.stringify({ ...VALID, name: `before-${i}` }))).status, 201);
    await new Promise((r) => setTimeout(r, 300));
    const before = await cp.store.listJobs({ order: 'id' });

    const statuses = new Map<number, number>();
    let created = 0;
    for (let i = 0; i < 1200; i++) {
      const r = rng.int(0, 19);
      let res: Response;
      if (r === 0) res = await post('/v1/jobs', body(rng), { authorization: rng.pick(['Bearer', 'Bearer nope', 'Basic x', `Bearer ${token}x`, '']) });
      else if (r === 1) res = await post('/v1/jobs', body(rng), { 'content-type': rng.pick(['text/plain', 'application/xml', '']) });
      else if (r === 2) res = await post('/v1/tokens', body(rng));
      else if (r === 3) res = await fetch(`${cp.url}/v1/jobs/${encodeURIComponent(String(randomValue(rng)))}${rng.pick(['', '/cancel', '/logs?rank=-1', '/logs?offset=abc'])}`, { method: rng.pick(['GET', 'POST']), headers: { authorization: `Bearer ${token}` } });
      else res = await post('/v1/jobs', body(rng));
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(res.status < 500, `request ${i} got ${res.status}`);
      if (res.status === 201 && r >= 4) created++;
    }
    t.diagnostic(`status counts: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.equal((await fetch(`${cp.url}/healthz`)).status, 200);
    const list = await fetch(`${cp.url}/v1/jobs?limit=10000`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(list.status, 200);
    const after = await cp.store.listJobs({ order: 'id' });
    for (const b of before) {
      const a = after.find((j) => j.id === b.id);
      assert.deepEqual(a?.spec, b.spec, `${b.id} spec changed`);
      assert.equal(a?.tenant, b.tenant);
      assert.equal(a?.submitSeconds, b.submitSeconds);
    }
    assert.equal(after.length, before.length + created, 'only accepted submissions were stored');
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile transport: deep nesting, oversized, aborted, slow and lying bodies get 4xx (never 5xx), aborts are logged as such, stored jobs intact', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-fuzz-raw-'));
  const lines: string[] = [];
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 50, executor: new FakeExecutor(10), localNodes: 2, requestTimeoutMs: 600, log: (l) => lines.push(l) });
  const port = Number(new URL(cp.url).port);
  const headers = { authorization: `Bearer ${cp.newAdminToken!}`, 'content-type': 'application/json' };
  const post = (path: string, b: string) => fetch(cp.url + path, { method: 'POST', headers, body: b });
  try {
    assert.equal((await post('/v1/jobs', JSON.stringify({ ...VALID, name: 'kept' }))).status, 201);
    const before = await cp.store.listJobs({ order: 'id' });
    const deep = (n: number) => `{"name":"x","command":["a"],"env":${'['.repeat(n)}${']'.repeat(n)}}`;

    // Nesting: 5,000 levels (10 KB) used to overflow the stack (500); past 64 is refused by name.
    for (const path of ['/v1/jobs', '/v1/tokens']) {
      const r = await post(path, deep(5000));
      assert.equal(r.status, 400, path);
      const body = await r.json() as { error: { message: string } };
      assert.match(body.error.message, /\(body\): got .*nested more than 64 levels.*expected JSON nested at most 64 levels deep/);
    }
    // 64 levels is within the limit: validation (not the guard) answers, naming the field.
    const ok64 = await (await post('/v1/jobs', deep(63))).json() as { error: { message: string } };
    assert.match(ok64.error.message, /^env: got .*expected an object/);

    // 5 MiB body sent whole before reading (as simple clients do): 413 naming the limit, not a reset.
    const big = await rawRequest({ port, path: '/v1/jobs', headers, body: [Buffer.alloc(5 << 20, 0x20)] });
    assert.equal(big.status, 413, big.socketError ?? big.text.slice(0, 200));
    assert.match(big.text, /request body: got 5242880 bytes; expected at most 262144 bytes/);
    // The same without a Content-Length (chunked): counted while read.
    const chunked = await fetch(cp.url + '/v1/jobs', { method: 'POST', headers, body: new Blob([Buffer.alloc(300_000, 0x20)]).stream(), duplex: 'half' } as RequestInit);
    assert.equal(chunked.status, 413);

    // A client that goes away mid-body: logged as an abort, never as an internal error.
    lines.length = 0;
    await rawRequest({ port, path: '/v1/jobs', headers, body: ['{"name":"half'], contentLength: 1000, then: 'destroy' });
    await waitUntil(() => lines.some((l) => l.startsWith('client aborted POST /v1/jobs')), 3000);
    // A Content-Length larger than what is sent, then silence: 408 after the request timeout.
    const lying = await rawRequest({ port, path: '/v1/jobs', headers, body: ['{"name":"x"}'], contentLength: 500, then: 'hold', timeoutMs: 5000 });
    assert.ok(lying.status === undefined || lying.status === 408, `lying Content-Length got ${lying.status}`);
    assert.ok(lying.elapsedMs < 4000, `connection held ${lying.elapsedMs} ms`);
    // A Content-Length smaller than the body: the rest is a malformed next request, 400.
    const short = await rawRequest({ port, path: '/v1/jobs', headers, body: [JSON.stringify({ ...VALID, name: 'short' })], contentLength: 10 });
    assert.equal(short.status, 400);
    // A slow but steady upload within the timeout is served.
    const spec = JSON.stringify({ ...VALID, name: 'slow' });
    const slow = await rawRequest({ port, path: '/v1/jobs', headers, body: [spec.slice(0, 20), spec.slice(20, 60), spec.slice(60)], chunkDelayMs: 100 });
    assert.equal(slow.status, 201, slow.text);

    assert.ok(!lines.some((l) => l.startsWith('internal error')), lines.join('\n'));
    assert.equal((await fetch(`${cp.url}/healthz`)).status, 200);
    const after = await cp.store.listJobs({ order: 'id' });
    for (const b of before) assert.deepEqual(after.find((j) => j.id === b.id)?.spec, b.spec);
    assert.deepEqual(after.map((j) => j.spec.name).sort(), ['kept', 'slow']);
  } finally {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function waitUntil(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
