import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { UpstreamPool, type UpstreamTarget } from './upstream-client.ts';

/**
 * A raw TCP server standing in for a replica: `answer(n)` gives the bytes (in pieces, each
 * written on its own, a tick apart) to send for the n-th request on a connection (from 0).
 * It counts connections, so tests can see keep-alive reuse.
 */
async function rawReplica(answer: (n: number) => (string | 'CLOSE')[]): Promise<{ target: UpstreamTarget; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    let n = 0;
    s.on('data', async (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.slice(end + 4 + length);
        for (const piece of answer(n++)) {
          if (piece === 'CLOSE') { s.destroy(); return; }
          s.write(piece);
          await new Promise((r) => setImmediate(r));
        }
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    target: { hostname: '127.0.0.1', port: (server.address() as AddressInfo).port },
    connections: () => connections,
    close: () => new Promise<void>((ok) => { for (const s of sockets) s.destroy(); server.close(() => ok()); }),
  };
}

const HEAD = 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n';

/** One request through the pool: status, headers, body text, and how it ended. */
function call(pool: UpstreamPool, target: UpstreamTarget): Promise<{ status: number; contentType: string | undefined; body: string; pieces: number; error?: string; afterHead?: boolean }> {
  return new Promise((resolve) => {
    let status = 0;
    let contentType: string | undefined;
    const body: Buffer[] = [];
    pool.request(target, HEAD, Buffer.from('{}'), {
      onHead: (s, t) => { status = s; contentType = t; },
      onData: (b) => body.push(Buffer.from(b)),
      onEnd: () => resolve({ status, contentType, body: Buffer.concat(body).toString('utf8'), pieces: body.length }),
      onError: (e, afterHead) => resolve({ status, contentType, body: Buffer.concat(body).toString('utf8'), pieces: body.length, error: e.message, afterHead }),
    });
  });
}

/** `s` cut into pieces of `n` bytes (a reply arriving a few bytes at a time). */
const split = (s: string, n: number) => Array.from({ length: Math.ceil(s.length / n) }, (_, i) => s.slice(i * n, (i + 1) * n));

test('upstream client: Content-Length and chunked bodies, split anywhere, come out whole; keep-alive reuses one connection', async () => {
  const chunked = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'
    + '7\r\ndata: a\r\n5;ext=1\r\n\n\nhé\r\n0\r\nx-trailer: 1\r\n\r\n';
  const r = await rawReplica((n) => (n % 2 === 0 ? split('HTTP/1.1 200 OK\r\nContent-length: 11\r\nX-A: 1\r\nCONTENT-TYPE: text/plain\r\n\r\nhello world', 3) : split(chunked, 2)));
  const pool = new UpstreamPool();
  try {
    const a = await call(pool, r.target);
    assert.deepEqual([a.status, a.body, a.contentType, a.error], [200, 'hello world', 'text/plain', undefined]);
    const b = await call(pool, r.target);
    assert.deepEqual([b.status, b.body, b.contentType, b.error], [200, 'data: a\n\nhé', 'text/event-stream', undefined]);
    assert.ok(b.pieces > 1, 'chunks are handed on as they arrive');
    await call(pool, r.target);
    assert.equal(r.connections(), 1, 'three requests, one after another, on one kept-alive connection');
  } finally { pool.destroy(); await r.close(); }
});

test('upstream client: an HTTP/1.0 answer without a length ends when the replica closes, after an interim 100; no reuse', async () => {
  const r = await rawReplica(() => ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"a":', '1}', 'CLOSE']);
  const pool = new UpstreamPool();
  try {
    const a = await call(pool, r.target);
    assert.deepEqual([a.status, a.body, a.error], [200, '{"a":1}', undefined]);
    await call(pool, r.target);
    assert.equal(r.connections(), 2);
  } finally { pool.destroy(); await r.close(); }
});

test('upstream client: refused, cut mid-answer, garbage and bytes past the end are errors or fresh connections, never a hang', async () => {
  const pool = new UpstreamPool();
  const dead = await rawReplica(() => []);
  await dead.close();
  const refused = await call(pool, dead.target);
  assert.match(refused.error ?? '', /ECONNREFUSED/);
  assert.equal(refused.afterHead, false);

  const cut = await rawReplica(() => ['HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial', 'CLOSE']);
  const c = await call(pool, cut.target);
  assert.deepEqual([c.status, c.body, c.afterHead], [200, 'partial', true]);
  assert.match(c.error ?? '', /closed/);
  await cut.close();

  const garbage = await rawReplica(() => ['SSH-2.0-OpenSSH\r\n\r\n']);
  assert.match((await call(pool, garbage.target)).error ?? '', /bad response from the replica: not an HTTP\/1\.x status line/);
  await garbage.close();

  const badChunk = await rawReplica(() => ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n']);
  const bc = await call(pool, badChunk.target);
  assert.match(bc.error ?? '', /bad chunk size/);
  assert.equal(bc.afterHead, true);
  await badChunk.close();

  const extra = await rawReplica(() => ['HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA']);
  assert.equal((await call(pool, extra.target)).body, 'ok');
  assert.equal((await call(pool, extra.target)).body, 'ok');
  assert.equal(extra.connections(), 2, 'a connection that sent more than its answer is not reused');
  await extra.close();

  const closing = await rawReplica(() => ['HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 2\r\n\r\nok']);
  assert.equal((await call(pool, closing.target)).body, 'ok');
  assert.equal((await call(pool, closing.target)).body, 'ok');
  assert.equal(closing.connections(), 2, 'Connection: close is honoured');
  await closing.close();
  pool.destroy();
});

test('upstream client: abort drops the connection and says nothing more; past the socket limit requests wait their turn', async () => {
  const hang = await rawReplica(() => ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n']);
  const pool = new UpstreamPool(1);
  try {
    const events: string[] = [];
    let headCame = () => undefined as void;
    const head = new Promise<void>((r) => { headCame = r; });
    const c = pool.request(hang.target, HEAD, Buffer.from('{}'), { onHead: () => { events.push('head'); headCame(); }, onData: () => events.push('data'), onEnd: () => events.push('end'), onError: (e) => events.push(`error ${e.message}`) });
    await head;
    c.abort();
    c.abort(new Error('twice'));
    for (let i = 0; i < 100 && Object.keys(pool.connections()).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(events, ['head']);
    assert.deepEqual(pool.connections(), {}, 'the aborted connection is closed');

    const ok = await rawReplica(() => ['HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok']);
    const all = await Promise.all([call(pool, ok.target), call(pool, ok.target), call(pool, ok.target)]);
    assert.deepEqual(all.map((a) => a.body), ['ok', 'ok', 'ok']);
    assert.equal(ok.connections(), 1, 'one socket allowed: the others waited for it');
    await ok.close();
  } finally { pool.destroy(); await hang.close(); }
});

test('upstream client: destroy() ends requests in flight with an error, and later requests fail at once', { timeout: 5000 }, async () => {
  const hang = await rawReplica(() => ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n']);
  const pool = new UpstreamPool();
  try {
    const inFlight = call(pool, hang.target);
    await new Promise((r) => setTimeout(r, 50));
    pool.destroy();
    const r = await inFlight;
    assert.deepEqual([r.body, r.afterHead], ['hello', true]);
    assert.match(r.error ?? '', /closed/);
    assert.match((await call(pool, hang.target)).error ?? '', /closing/);
  } finally { await hang.close(); }
});

test('upstream client: a kept-alive connection the replica closes as a request goes out is retried once on a fresh one', { timeout: 5000 }, async () => {
  // Each connection answers its first request and closes on its second, unanswered (an idle timeout racing the request).
  const r = await rawReplica((n) => (n === 0 ? ['HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'] : ['CLOSE']));
  const pool = new UpstreamPool();
  try {
    assert.equal((await call(pool, r.target)).body, 'ok');
    const second = await call(pool, r.target);
    assert.deepEqual([second.body, second.error], ['ok', undefined]);
    assert.equal(r.connections(), 2);
  } finally { pool.destroy(); await r.close(); }
  const fresh = await rawReplica(() => ['CLOSE']);
  const pool2 = new UpstreamPool();
  try {
    assert.equal((await call(pool2, fresh.target)).error, 'socket hang up', 'a fresh connection closed unanswered is not retried');
    assert.equal(fresh.connections(), 1);
  } finally { pool2.destroy(); await fresh.close(); }
});
