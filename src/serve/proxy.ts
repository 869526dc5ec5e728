import http from 'node:http';
import type { ServerResponse } from 'node:http';
import { CHARS_PER_TOKEN, type ChatRequest } from './request.ts';
import { SseScanner } from './sse.ts';
import type { Replica } from './pool.ts';

/** How one attempt on one replica ended. */
export type AttemptResult =
  | { readonly kind: 'done'; readonly promptTokens?: number; readonly completionTokens: number }
  /** Failed before anything reached the client: safe to try another replica. */
  | { readonly kind: 'retry'; readonly reason: string; readonly replicaDown: boolean }
  /** Failed after text reached the client: the stream was closed with an error event. */
  | { readonly kind: 'broken'; readonly reason: string; readonly completionTokens: number }
  | { readonly kind: 'client-gone'; readonly completionTokens: number };

export interface ProxyOptions {
  readonly agent: http.Agent;
  /** Time allowed from sending the request to the upstream's response headers. */
  readonly firstByteTimeoutMs: number;
  readonly upstreamApiKey?: string;
  /** Called once when the first bytes of a successful streamed answer go to the client. */
  readonly onFirstByte?: () => void;
}

/** Where a replica's chat endpoint is, parsed once per replica URL (not per request). */
const targets = new Map<string, { hostname: string; port?: number; path: string; protocol: string }>();
function targetOf(url: string) {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(`${url}/v1/chat/completions`);
    t = { hostname: u.hostname.replace(/^\[|\]$/g, ''), ...(u.port !== '' ? { port: Number(u.port) } : {}), path: u.pathname + u.search, protocol: u.protocol };
    if (targets.size > 10_000) targets.clear();
    targets.set(url, t);
  }
  return t;
}

// Headers and body go out as separate writes: without TCP_NODELAY, Nagle + delayed ACK stall each request ~40 ms.
const noDelay = (s: import('node:net').Socket) => { s.setNoDelay(true); };

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

/**
 * Sends one chat request to one replica and relays the answer. Streaming: events are held
 * back until the first one carrying text, so a replica that dies before its first token can
 * be retried elsewhere without the client seeing anything twice; after that, bytes pass
 * through as they arrive. A client that disconnects cancels the upstream request.
 */
export function forward(replica: Replica, chat: ChatRequest, body: Buffer, res: ServerResponse, opts: ProxyOptions): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    let completionTokens = 0;
    let sentToClient = false;
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      res.off('close', onClientClose);
      resolve(r);
    };
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length, accept: chat.stream ? 'text/event-stream' : 'application/json' };
    if (opts.upstreamApiKey) headers.authorization = `Bearer ${opts.upstreamApiKey}`;
    const up = http.request({ ...targetOf(replica.url), method: 'POST', agent: opts.agent, headers });
    up.once('socket', noDelay);
    const onClientClose = () => {
      if (res.writableFinished) return;
      up.destroy();
      finish({ kind: 'client-gone', completionTokens });
    };
    res.on('close', onClientClose);
    const timer = setTimeout(() => up.destroy(new Error(`no response within ${opts.firstByteTimeoutMs} ms`)), opts.firstByteTimeoutMs);
    up.on('error', (e) => {
      clearTimeout(timer);
      if (sentToClient) { closeBroken(res, e.message); finish({ kind: 'broken', reason: e.message, completionTokens }); }
      else finish({ kind: 'retry', reason: e.message, replicaDown: true });
    });
    up.on('response', (ur) => {
      clearTimeout(timer);
      const status = ur.statusCode ?? 502;
      if (status >= 500 || status === 429) {
        ur.resume();
        finish({ kind: 'retry', reason: `HTTP ${status} from ${replica.url}`, replicaDown: false });
        return;
      }
      if (status >= 400 || !chat.stream) { relayWhole(ur, status, res, finish); return; }
      // Held back (verbatim) until an event with text, [DONE] or an error: until then another
      // replica may still be tried. Past it, bytes pass straight through; the scanner only counts.
      const scanner = new SseScanner();
      let held: string[] = [];
      let ended = false;
      ur.setEncoding('utf8');
      const flush = () => {
        if (!sentToClient) { res.writeHead(200, SSE_HEADERS); sentToClient = true; opts.onFirstByte?.(); }
        const data = held.length === 1 ? held[0]! : held.join('');
        held = [];
        if (data.length > 0) res.write(data);
      };
      ur.on('data', (chunk: string) => {
        const boundary = scanner.push(chunk);
        completionTokens = scanner.contentEvents;
        if (sentToClient) { res.write(chunk); return; }
        held.push(chunk);
        if (boundary) flush();
      });
      ur.on('end', () => {
        ended = true;
        if (!sentToClient) flush();
        res.end();
        const usage = scanner.usage;
        finish({ kind: 'done', ...(usage?.prompt_tokens !== undefined ? { promptTokens: usage.prompt_tokens } : {}), completionTokens: usage?.completion_tokens ?? completionTokens });
      });
      ur.on('close', () => {
        if (ended || settled) return;
        if (sentToClient) { closeBroken(res, 'upstream closed the stream'); finish({ kind: 'broken', reason: 'upstream closed mid-stream', completionTokens }); }
        else finish({ kind: 'retry', reason: `${replica.url} closed the stream before the first token`, replicaDown: false });
      });
      ur.on('error', () => { /* 'close' decides */ });
    });
    up.end(body);
  });
}

/** Non-streaming (or an upstream 4xx): buffer the answer, then send it whole. */
function relayWhole(ur: http.IncomingMessage, status: number, res: ServerResponse, finish: (r: AttemptResult) => void): void {
  const chunks: Buffer[] = [];
  let ended = false;
  ur.on('data', (c: Buffer) => chunks.push(c));
  ur.on('error', () => { /* 'close' decides */ });
  ur.on('end', () => {
    ended = true;
    const buf = Buffer.concat(chunks);
    let promptTokens: number | undefined;
    let completionTokens = 0;
    if (status < 400) {
      try {
        const j = JSON.parse(buf.toString('utf8')) as { usage?: { prompt_tokens?: number; completion_tokens?: number }; choices?: { message?: { content?: unknown } }[] };
        promptTokens = j.usage?.prompt_tokens;
        const text = (j.choices ?? []).map((c) => (typeof c?.message?.content === 'string' ? c.message.content : '')).join('');
        completionTokens = j.usage?.completion_tokens ?? Math.ceil(text.length / CHARS_PER_TOKEN);
      } catch {
        finish({ kind: 'retry', reason: 'upstream answered with invalid JSON', replicaDown: false });
        return;
      }
    }
    if (res.destroyed) { finish({ kind: 'client-gone', completionTokens }); return; }
    res.writeHead(status, { 'content-type': ur.headers['content-type'] ?? 'application/json', 'content-length': buf.length });
    res.end(buf);
    finish({ kind: 'done', ...(promptTokens !== undefined ? { promptTokens } : {}), completionTokens });
  });
  ur.on('close', () => { if (!ended) finish({ kind: 'retry', reason: 'upstream closed before the answer was complete', replicaDown: false }); });
}

/** Ends a stream that already carried text with an OpenAI-style error event (no retry: text was sent). */
function closeBroken(res: ServerResponse, reason: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(`data: ${JSON.stringify({ error: { message: `replica failed mid-stream: ${reason}`, type: 'upstream_error', param: null, code: 'stream_interrupted' } })}\n\n`);
  res.end();
}
