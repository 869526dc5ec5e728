import type { ClientResponse } from './fast-front.ts';
import { CHARS_PER_TOKEN, type ChatRequest } from './request.ts';
import { SseScanner } from './sse.ts';
import type { Replica } from './pool.ts';
import type { UpstreamCall, UpstreamHandlers, UpstreamPool } from './upstream-client.ts';

/** How one attempt on one replica ended. */
export type AttemptResult =
  | { readonly kind: 'done'; readonly promptTokens?: number; readonly completionTokens: number }
  /** Failed before anything reached the client: safe to try another replica. */
  | { readonly kind: 'retry'; readonly reason: string; readonly replicaDown: boolean }
  /** Failed after text reached the client: the stream was closed with an error event. */
  | { readonly kind: 'broken'; readonly reason: string; readonly completionTokens: number }
  | { readonly kind: 'client-gone'; readonly completionTokens: number };

export interface ProxyOptions {
  /** Keep-alive connections to the replicas. */
  readonly upstream: UpstreamPool;
  /** Time allowed from sending the request to the upstream's response headers. */
  readonly firstByteTimeoutMs: number;
  readonly upstreamApiKey?: string;
}

/** Told once when the first bytes of a successful streamed answer go to the client (time to first token). */
export interface FirstByteListener { firstByte(): void }

/** Where a replica's chat endpoint is, and the fixed part of the request head, built once per replica URL. */
interface Target { readonly hostname: string; readonly port: number; readonly headStart: string; readonly error?: string }
const targets = new Map<string, Target>();
function targetOf(url: string): Target {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(`${url}/v1/chat/completions`);
    const port = u.port !== '' ? Number(u.port) : 80;
    t = {
      hostname: u.hostname.replace(/^\[|\]$/g, ''), port,
      headStart: `POST ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\nconnection: keep-alive\r\ncontent-type: application/json\r\n`,
      ...(u.protocol !== 'http:' ? { error: `replica URL ${url}: only http:// replicas are supported` } : {}),
    };
    if (targets.size > 10_000) targets.clear();
    targets.set(url, t);
  }
  return t;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };

/**
 * Sends one chat request to one replica and relays the answer. Streaming: events are held
 * back until the first one carrying text, so a replica that dies before its first token can
 * be retried elsewhere without the client seeing anything twice; after that, bytes pass
 * through as they arrive. A client that disconnects cancels the upstream request.
 */
export function forward(replica: Replica, chat: ChatRequest, body: Buffer, res: ClientResponse, opts: ProxyOptions, listener?: FirstByteListener): Promise<AttemptResult> {
  return new Promise((resolve) => { new Attempt(replica, chat, res, opts, resolve, listener).send(body); });
}

/** One attempt on one replica: the upstream request's handlers and what the client has been sent. */
class Attempt implements UpstreamHandlers {
  private settled = false;
  private completionTokens = 0;
  private sentToClient = false;
  private streaming = false;
  private status = 0;
  private contentType: string | undefined;
  /** Streaming: the scanner (it only counts) and the bytes held back before the first token. */
  private scanner: SseScanner | undefined;
  private held: Buffer[] = [];
  /** Not streaming (or an upstream 4xx): the answer, sent whole at the end. */
  private chunks: Buffer[] = [];
  private call: UpstreamCall | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly replica: Replica, private readonly chat: ChatRequest, private readonly res: ClientResponse,
    private readonly opts: ProxyOptions, private readonly resolve: (r: AttemptResult) => void,
    private readonly listener: FirstByteListener | undefined,
  ) {}

  send(body: Buffer): void {
    const t = targetOf(this.replica.url);
    if (t.error) { this.finish({ kind: 'retry', reason: t.error, replicaDown: true }); return; }
    const auth = this.opts.upstreamApiKey ? `authorization: Bearer ${this.opts.upstreamApiKey}\r\n` : '';
    const head = `${t.headStart}content-length: ${body.length}\r\naccept: ${this.chat.stream ? 'text/event-stream' : 'application/json'}\r\n${auth}\r\n`;
    this.res.on('close', this.onClientClose);
    this.timer = setTimeout(() => this.call?.abort(new Error(`no response within ${this.opts.firstByteTimeoutMs} ms`)), this.opts.firstByteTimeoutMs);
    this.call = this.opts.upstream.request(t, head, body, this);
  }

  private finish(r: AttemptResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.res.off('close', this.onClientClose);
    this.resolve(r);
  }

  private readonly onClientClose = (): void => {
    if (this.res.writableFinished) return;
    this.call?.abort();
    this.finish({ kind: 'client-gone', completionTokens: this.completionTokens });
  };

  onHead(status: number, contentType: string | undefined): void {
    clearTimeout(this.timer);
    this.status = status;
    if (status >= 500 || status === 429) {
      this.call!.abort();
      this.finish({ kind: 'retry', reason: `HTTP ${status} from ${this.replica.url}`, replicaDown: false });
      return;
    }
    this.contentType = contentType;
    // Held back (verbatim) until an event with text, [DONE] or an error: until then another
    // replica may still be tried. Past it, bytes pass straight through; the scanner only counts.
    this.streaming = status < 400 && this.chat.stream;
    if (this.streaming) this.scanner = new SseScanner();
  }

  onData(chunk: Buffer): void {
    if (!this.streaming) { this.chunks.push(chunk); return; }
    // latin1 keeps every byte as one character and never splits one: the scanner looks only at ASCII.
    const boundary = this.scanner!.push(chunk.toString('latin1'));
    this.completionTokens = this.scanner!.contentEvents;
    if (this.sentToClient) { this.res.write(chunk); return; }
    this.held.push(chunk);
    if (boundary) this.flush();
  }

  onEnd(): void {
    if (!this.streaming) { this.relayWhole(); return; }
    if (!this.sentToClient) this.flush();
    this.res.end();
    const usage = this.scanner!.usage;
    this.finish({ kind: 'done', ...(usage?.prompt_tokens !== undefined ? { promptTokens: usage.prompt_tokens } : {}), completionTokens: usage?.completion_tokens ?? this.completionTokens });
  }

  onError(err: Error, afterHead: boolean): void {
    if (this.settled) return;
    if (!afterHead) { this.finish({ kind: 'retry', reason: err.message, replicaDown: true }); return; }
    if (!this.streaming) { this.finish({ kind: 'retry', reason: 'upstream closed before the answer was complete', replicaDown: false }); return; }
    if (this.sentToClient) { closeBroken(this.res, 'upstream closed the stream'); this.finish({ kind: 'broken', reason: 'upstream closed mid-stream', completionTokens: this.completionTokens }); }
    else this.finish({ kind: 'retry', reason: `${this.replica.url} closed the stream before the first token`, replicaDown: false });
  }

  private flush(): void {
    if (!this.sentToClient) { this.res.writeHead(200, SSE_HEADERS); this.sentToClient = true; this.listener?.firstByte(); }
    const data = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
    this.held = [];
    if (data.length > 0) this.res.write(data);
  }

  /** Non-streaming (or an upstream 4xx): the answer is buffered, then sent whole. */
  private relayWhole(): void {
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    let promptTokens: number | undefined;
    let completionTokens = 0;
    if (this.status < 400) {
      try {
        const j = JSON.parse(buf.toString('utf8')) as { usage?: { prompt_tokens?: number; completion_tokens?: number }; choices?: { message?: { content?: unknown } }[] };
        promptTokens = j.usage?.prompt_tokens;
        const text = (j.choices ?? []).map((c) => (typeof c?.message?.content === 'string' ? c.message.content : '')).join('');
        completionTokens = j.usage?.completion_tokens ?? Math.ceil(text.length / CHARS_PER_TOKEN);
      } catch {
        this.finish({ kind: 'retry', reason: 'upstream answered with invalid JSON', replicaDown: false });
        return;
      }
    }
    if (this.res.destroyed) { this.finish({ kind: 'client-gone', completionTokens }); return; }
    this.res.writeHead(this.status, { 'content-type': this.contentType ?? 'application/json', 'content-length': buf.length });
    this.res.end(buf);
    this.finish({ kind: 'done', ...(promptTokens !== undefined ? { promptTokens } : {}), completionTokens });
  }
}

/** Ends a stream that already carried text with an OpenAI-style error event (no retry: text was sent). */
function closeBroken(res: ClientResponse, reason: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(`data: ${JSON.stringify({ error: { message: `replica failed mid-stream: ${reason}`, type: 'upstream_error', param: null, code: 'stream_interrupted' } })}\n\n`);
  res.end();
}
