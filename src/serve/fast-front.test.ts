/**
 * The gateway's fast front: which requests it serves itself (and which go to node:http with
 * their connection), answers in order on keep-alive connections, hand-over mid-connection,
 * node:http-shaped responses, and idle connections closed after the keep-alive timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { FastFront, parseFastRequest } from './fast-front.ts';
import { chatBody, startStack } from './test-helpers.ts';

const LINE = 'POST /v1/chat/completions HTTP/1.1\r\n';
const req = (headers: string, body = '{}') => Buffer.from(`${LINE}${headers}\r\n${body}`, 'latin1');

test('parseFastRequest: a plain chat request is parsed; anything node:http should judge is left to it', () => {
  // Followed by the start of the next request on the connection.
  const raw = req('host: x\r\ncontent-type: application/json\r\nauthorization: Bearer k\r\nX-Tenant: t\r\ncontent-length: 2\r\n', '{}GET');
  const ok = parseFastRequest(raw, 1024);
  assert.ok(ok);
  assert.equal(ok.body.toString(), '{}');
  assert.equal(ok.end, raw.length - 3);
  assert.deepEqual(ok.headers, { authorization: 'Bearer k', 'x-tenant': 't' });
  assert.ok(parseFastRequest(req('Host: x\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n'), 1024));
  const refused: Record<string, Buffer> = {
    'other path': Buffer.from('POST /v1/models HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}'),
    'query string': Buffer.from('POST /v1/chat/completions?x=1 HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}'),
    'HTTP/1.0': Buffer.from('POST /v1/chat/completions HTTP/1.0\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}'),
    'no host': req('content-length: 2\r\n'),
    'two hosts': req('host: x\r\nhost: y\r\ncontent-length: 2\r\n'),
    'no content-length': req('host: x\r\n'),
    'two content-lengths': req('host: x\r\ncontent-length: 2\r\ncontent-length: 2\r\n'),
    'bad content-length': req('host: x\r\ncontent-length: 2x\r\n'),
    'chunked': req('host: x\r\ntransfer-encoding: chunked\r\n', '2\r\n{}\r\n0\r\n\r\n'),
    'expect': req('host: x\r\nexpect: 100-continue\r\ncontent-length: 2\r\n'),
    'connection close': req('host: x\r\nconnection: close\r\ncontent-length: 2\r\n'),
    'upgrade': req('host: x\r\nupgrade: websocket\r\ncontent-length: 2\r\n'),
    'two authorizations': req('host: x\r\nauthorization: a\r\nauthorization: b\r\ncontent-length: 2\r\n'),
    'control character': req('host: x\r\nx-note: a\x01b\r\ncontent-length: 2\r\n'),
    'folded header': req('host: x\r\nx-note: a\r\n b\r\ncontent-length: 2\r\n'),
    'bad header name': req('host: x\r\nbad name: a\r\ncontent-length: 2\r\n'),
    'body too large': req('host: x\r\ncontent-length: 2000\r\n', '{}'.padEnd(2000)),
    'body not all here': req('host: x\r\ncontent-length: 20\r\n', '{}'),
    'head not all here': Buffer.from(`${LINE}host: x\r\ncontent-le`),
  };
  for (const [why, b] of Object.entries(refused)) assert.equal(parseFastRequest(b, 1024), undefined, why);
});

/** Reads HTTP/1.1 responses off one socket (Content-Length or chunked bodies). */
function responses(s: net.Socket) {
  let buf = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  s.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); waiters.splice(0).forEach((w) => w()); });
  const more = () => new Promise<void>((ok, fail) => { const t = setTimeout(() => fail(new Error(`no more bytes; have ${JSON.stringify(buf.toString())}`)), 5000); waiters.push(() => { clearTimeout(t); ok(); }); });
  return async (): Promise<{ status: number; headers: Record<string, string>; body: string }> => {
    let end: number;
    while ((end = buf.indexOf('\r\n\r\n')) < 0) await more();
    const [line, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    let at = end + 4;
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        let eol: number;
        while ((eol = buf.indexOf('\r\n', at)) < 0) await more();
        const size = parseInt(buf.subarray(at, eol).toString(), 16);
        while (buf.length < eol + 2 + size + 2) await more();
        body += buf.subarray(eol + 2, eol + 2 + size).toString();
        at = eol + 2 + size + 2;
        if (size === 0) break;
      }
    } else {
      const n = Number(headers['content-length']);
      while (buf.length < at + n) await more();
      body = buf.subarray(at, at + n).toString();
      at += n;
    }
    buf = buf.subarray(at);
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(line!)![1]), headers, body };
  };
}

const chatRequest = (body: string, extra = '') => `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('fast front: keep-alive chat, pipelined chats in order, then a GET hands the connection to node:http', { timeout: 20_000 }, async () => {
  const s = await startStack([{ words: 3 }]);
  const sock = net.connect(Number(new URL(s.base).port), '127.0.0.1');
  const next = responses(sock);
  try {
    sock.write(chatRequest(chatBody({ stream: true })));
    const streamed = await next();
    assert.equal(streamed.status, 200);
    assert.equal(streamed.headers['content-type'], 'text/event-stream');
    assert.equal(streamed.headers['transfer-encoding'], 'chunked');
    assert.equal(streamed.headers.connection, 'keep-alive');
    assert.ok(!Number.isNaN(Date.parse(streamed.headers.date!)), 'a Date header');
    assert.match(streamed.body, /r0-0 [\s\S]*r0-2 [\s\S]*data: \[DONE\]\n\n$/);
    // Two requests in one packet: answered in order, the first non-streamed, the second streamed.
    sock.write(chatRequest(chatBody()) + chatRequest(chatBody({ stream: true, max_tokens: 1 })));
    const whole = await next();
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-length'], String(Buffer.byteLength(whole.body)));
    assert.match(whole.headers['keep-alive'] ?? '', /^timeout=10$/);
    assert.equal((JSON.parse(whole.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content, 'r0-0 r0-1 r0-2 ');
    const cut = await next();
    assert.match(cut.body, /"finish_reason":"length"/);
    // An error the gateway itself gives, on the fast path: OpenAI-style, with its length.
    sock.write(chatRequest('{"model":"nope","messages":[{"role":"user","content":"x"}]}'));
    const unknown = await next();
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /"code":"model_not_found"/);
    assert.deepEqual(s.gw.front.counts, { fastRequests: 4, handedOver: 0 });
    // Another route: node:http takes the connection, with the bytes already read, and keeps it.
    sock.write('GET /v1/models HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    const models = await next();
    assert.equal(models.status, 200);
    assert.match(models.body, /"id":"tiny-chat"/);
    sock.write(chatRequest(chatBody()));
    assert.equal((await next()).status, 200);
    assert.deepEqual(s.gw.front.counts, { fastRequests: 4, handedOver: 1 });
    const text = await (await fetch(`${s.base}/metrics`)).text();
    assert.match(text, /gigafactory_gateway_requests_total\{model="tiny-chat",tenant="anonymous",code="200"\} 4/);
  } finally { sock.destroy(); await s.close(); }
});

test('fast front: a body that arrives after its head goes to node:http, which answers it', { timeout: 20_000 }, async () => {
  const s = await startStack([{ words: 2 }]);
  const sock = net.connect(Number(new URL(s.base).port), '127.0.0.1');
  const next = responses(sock);
  try {
    const body = chatBody();
    const full = chatRequest(body);
    sock.write(full.slice(0, full.length - 10));
    await new Promise((ok) => setTimeout(ok, 100));
    sock.write(full.slice(full.length - 10));
    const r = await next();
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(s.gw.front.counts, { fastRequests: 0, handedOver: 1 });
  } finally { sock.destroy(); await s.close(); }
});

test('fast front: a client that half-closes after its request gets the answer, then the connection ends', { timeout: 20_000 }, async () => {
  const s = await startStack([{ words: 2 }]);
  const sock = net.connect(Number(new URL(s.base).port), '127.0.0.1');
  const next = responses(sock);
  const closed = new Promise<boolean>((ok) => { sock.on('close', () => ok(true)); setTimeout(() => ok(false), 3000).unref(); });
  try {
    sock.end(chatRequest(chatBody()));
    assert.equal((await next()).status, 200);
    assert.equal(await closed, true, 'the gateway ended the connection after answering');
    assert.deepEqual(s.gw.front.counts, { fastRequests: 1, handedOver: 0 });
  } finally { sock.destroy(); await s.close(); }
});

test('fast front: an idle keep-alive connection is closed after the keep-alive timeout, not before', { timeout: 20_000 }, async () => {
  const server = http.createServer((_req, res) => { res.end('node'); });
  const front = new FastFront(server, { maxBodyBytes: 1024, keepAliveTimeoutMs: 1000, onChat: (_h, _b, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('fast'); } });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const sock = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  const next = responses(sock);
  const closed = new Promise<number>((ok) => { sock.on('close', () => ok(Date.now())); setTimeout(() => ok(Infinity), 5000).unref(); });
  try {
    sock.write(chatRequest('{}'));
    assert.equal((await next()).body, 'fast');
    const idleFrom = Date.now();
    assert.equal(front.size, 1);
    const closedAt = await closed;
    assert.ok(closedAt - idleFrom >= 900 && closedAt - idleFrom < 4000, `closed after ${closedAt - idleFrom} ms idle`);
    assert.equal(front.size, 0);
  } finally {
    sock.destroy();
    front.closeAll();
    await new Promise((ok) => server.close(ok));
  }
});
