/**
 * The gateway's front door for its one hot request. Each connection the gateway accepts starts
 * here: a request that is exactly `POST /v1/chat/completions HTTP/1.1`, whose head and
 * Content-Length body have fully arrived and hold nothing unusual, is parsed with a few string
 * scans and answered through a FastResponse that writes one buffer per tick to the socket.
 * Anything else (another route or method, chunked or partial bodies, Expect, Upgrade,
 * `Connection: close`, HTTP/1.0, a header node:http would refuse, an oversized body...) hands
 * the connection, with the bytes already read, to node:http for good: it answers exactly as it
 * always has, timeouts and errors included. node:http's request and response machinery cost
 * about a third of the gateway's CPU per streamed request (bench/gateway.bench.ts).
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES, type OutgoingHttpHeaders, type Server } from 'node:http';
import type net from 'node:net';

/** What the gateway writes an answer to: node:http's ServerResponse or a FastResponse. */
export interface ClientResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): this;
  write(chunk: Buffer | string): boolean;
  end(chunk?: Buffer | string): this;
  on(event: 'close' | 'error', listener: () => void): this;
  once(event: 'close', listener: () => void): this;
  off(event: 'close', listener: () => void): this;
}

/** The request headers the chat route reads (node:http's IncomingHttpHeaders has the same fields). */
export interface ChatHeaders {
  readonly authorization?: string | undefined;
  readonly 'x-tenant'?: string | string[] | undefined;
}

export interface FastFrontOptions {
  /** Bodies larger than this go to node:http (whose route answers 413). */
  readonly maxBodyBytes: number;
  /** Idle keep-alive connections close after this long (node:http's keepAliveTimeout). */
  readonly keepAliveTimeoutMs: number;
  /** One fast chat request: its headers, its whole body, and the response to write. */
  readonly onChat: (headers: ChatHeaders, body: Buffer, res: FastResponse) => void;
}

const REQUEST_LINE = Buffer.from('POST /v1/chat/completions HTTP/1.1\r\n', 'latin1');
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
/** node:http's default --max-http-header-size. */
const MAX_HEAD_BYTES = 16 * 1024;
/** Every header line a token, a colon and a value without control characters (what llhttp accepts, strictly). */
const HEADER_LINES = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*\r\n)*$/;
/** A connection with more than this unread while its answer is in flight stops reading. */
const MAX_BUFFERED_BYTES = 64 * 1024;

interface ParsedRequest { readonly headers: ChatHeaders; readonly body: Buffer; readonly end: number }

/**
 * Parses one request at the start of `b`; undefined when it is not one the fast path serves
 * (node:http then takes the connection and parses the same bytes itself).
 */
export function parseFastRequest(b: Buffer, maxBodyBytes: number): ParsedRequest | undefined {
  if (b.length < REQUEST_LINE.length || b.compare(REQUEST_LINE, 0, REQUEST_LINE.length, 0, REQUEST_LINE.length) !== 0) return undefined;
  const headEnd = b.indexOf(CRLFCRLF, REQUEST_LINE.length - 2);
  if (headEnd < 0 || headEnd > MAX_HEAD_BYTES) return undefined;
  // Header lines, each ended by CRLF (the request line's CRLF is left out, the last line's kept).
  const lines = headEnd + 2 > REQUEST_LINE.length ? b.toString('latin1', REQUEST_LINE.length, headEnd + 2) : '';
  if (!HEADER_LINES.test(lines)) return undefined;
  let contentLength = -1;
  let authorization: string | undefined;
  let tenant: string | undefined;
  let host = false;
  let at = 0;
  while (at < lines.length) {
    const eol = lines.indexOf('\r\n', at);
    const colon = lines.indexOf(':', at);
    const nameLength = colon - at;
    // Only names of these lengths matter: content-length, transfer-encoding, authorization, x-tenant, connection, expect, upgrade, host.
    if (nameLength === 14 || nameLength === 17 || nameLength === 13 || nameLength === 8 || nameLength === 10 || nameLength === 6 || nameLength === 7 || nameLength === 4) {
      const name = lines.slice(at, colon).toLowerCase();
      const value = lines.slice(colon + 1, eol).trim();
      switch (name) {
        case 'content-length':
          if (contentLength >= 0 || !/^\d{1,9}$/.test(value)) return undefined;
          contentLength = Number(value);
          break;
        case 'authorization': if (authorization !== undefined) return undefined; authorization = value; break;
        case 'x-tenant': if (tenant !== undefined) return undefined; tenant = value; break;
        case 'connection': if (value.toLowerCase() !== 'keep-alive') return undefined; break;
        case 'host': if (host) return undefined; host = true; break;
        case 'transfer-encoding': case 'expect': case 'upgrade': return undefined;
      }
    }
    at = eol + 2;
  }
  if (!host || contentLength < 0 || contentLength > maxBodyBytes) return undefined;
  const bodyStart = headEnd + 4;
  const end = bodyStart + contentLength;
  if (end > b.length) return undefined;
  const headers: { authorization?: string; 'x-tenant'?: string } = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (tenant !== undefined) headers['x-tenant'] = tenant;
  return { headers, body: b.subarray(bodyStart, end), end };
}

/** Accepts connections for a node:http server, serving the hot chat request itself. */
export class FastFront {
  private readonly connections = new Set<FastConnection>();
  /** Requests served here, and connections handed to node:http (tests and stats). */
  readonly counts = { fastRequests: 0, handedOver: 0 };
  /** Seconds since start, advanced by the idle sweep: a connection notes it when it goes idle. */
  tick = 0;
  /** The keep-alive headers node:http adds to a response that sets no Connection header. */
  readonly keepAliveHead: string;
  private readonly sweep: ReturnType<typeof setInterval>;

  /** Takes over `server`'s 'connection' event; node:http gets the connections the fast path does not keep. */
  constructor(readonly server: Server, readonly o: FastFrontOptions) {
    const nodeListeners = server.listeners('connection') as ((socket: net.Socket) => void)[];
    server.removeAllListeners('connection');
    this.handOver = (socket) => { for (const l of nodeListeners) l.call(server, socket); };
    server.on('connection', (socket: net.Socket) => { this.connections.add(new FastConnection(this, socket)); });
    this.keepAliveHead = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(o.keepAliveTimeoutMs / 1000)}\r\n`;
    const idleTicks = Math.max(1, Math.ceil(o.keepAliveTimeoutMs / 1000));
    this.sweep = setInterval(() => {
      this.tick++;
      for (const c of this.connections) if (c.idleFor(this.tick) > idleTicks) { this.connections.delete(c); c.socket.destroy(); }
    }, 1000);
    this.sweep.unref();
  }

  /** @internal Gives a connection to node:http's own connection listener. */
  readonly handOver: (socket: net.Socket) => void;

  /** @internal */
  forget(c: FastConnection): void { this.connections.delete(c); }

  /** Connections the fast path holds now. */
  get size(): number { return this.connections.size; }

  /** Closes every connection the fast path holds (node:http's closeAllConnections covers the rest). */
  closeAll(): void {
    clearInterval(this.sweep);
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
  }
}

/** One client connection while it stays on the fast path. */
class FastConnection {
  /** Bytes read and not yet used (the start of the next request). */
  private buffered: Buffer | undefined;
  /** The answer in flight: requests on one connection are answered in order, one at a time. */
  private res: FastResponse | undefined;
  private idleSince: number;
  /** The client half-closed: answer what was asked, then end our side too (as node:http does). */
  private ended = false;
  private readonly onData = (b: Buffer): void => {
    this.buffered = this.buffered ? Buffer.concat([this.buffered, b]) : b;
    if (this.res) { if (this.buffered.length > MAX_BUFFERED_BYTES) this.socket.pause(); return; }
    this.next();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    if (!this.res) this.socket.end();
  };
  private readonly onClose = (): void => {
    this.front.forget(this);
    const res = this.res;
    this.res = undefined;
    res?.gone();
  };

  constructor(private readonly front: FastFront, readonly socket: net.Socket) {
    this.idleSince = front.tick;
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', noop);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
  }

  /** Whole seconds idle (0 while a request is being answered or its successor is arriving). */
  idleFor(tick: number): number {
    return this.res || this.buffered ? 0 : tick - this.idleSince;
  }

  /** Serves the request at the start of the buffered bytes, or hands the connection over. */
  private next(): void {
    const b = this.buffered!;
    const r = parseFastRequest(b, this.front.o.maxBodyBytes);
    if (!r) { this.handOver(); return; }
    this.buffered = r.end < b.length ? b.subarray(r.end) : undefined;
    const res = new FastResponse(this.socket, this, this.front.keepAliveHead);
    this.res = res;
    this.front.counts.fastRequests++;
    this.front.o.onChat(r.headers, r.body, res);
  }

  /** @internal The answer in flight has ended: on to the next request, if one is waiting. */
  done(res: FastResponse): void {
    if (this.res !== res) return;
    this.res = undefined;
    this.idleSince = this.front.tick;
    if (this.socket.isPaused()) this.socket.resume();
    if (this.buffered) this.next();
    else if (this.ended) this.socket.end();
  }

  private handOver(): void {
    const rest = this.buffered;
    this.buffered = undefined;
    this.front.forget(this);
    this.front.counts.handedOver++;
    this.socket.off('data', this.onData);
    this.socket.off('error', noop);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onClose);
    if (this.socket.isPaused()) this.socket.resume();
    this.front.handOver(this.socket);
    if (rest) this.socket.unshift(rest);
  }
}

function noop(): void { /* errors end in 'close' */ }

let dateSecond = -1;
let dateText = '';
/** The Date header's value, as node:http writes it (made once a second). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) { dateSecond = second; dateText = new Date(now).toUTCString(); }
  return dateText;
}

const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

/**
 * The answer to one fast request, with the parts of ServerResponse the gateway uses. What is
 * written within one tick leaves as one socket write (node:http corks for the same reason);
 * end() sends at once. Without a Content-Length the body is chunked, as node:http does.
 */
export class FastResponse extends EventEmitter implements ClientResponse {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  private headers: OutgoingHttpHeaders | undefined;
  private chunked = false;
  /** Bytes written and not yet sent (strings are latin1 framing or already-encoded text). */
  private parts: (Buffer | string)[] = [];
  private size = 0;
  private flushQueued = false;
  /** 'close' was emitted (once: after the last byte went out, or when the client went away). */
  private closed = false;

  constructor(private readonly socket: net.Socket, private readonly conn: FastConnection, private readonly keepAliveHead: string) { super(); }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    if (this.headersSent) throw new Error('FastResponse: headers already sent');
    this.statusCode = status;
    this.headers = headers;
    return this;
  }

  write(chunk: Buffer | string): boolean {
    if (this.writableEnded || this.destroyed) return false;
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (!this.headersSent) this.head(undefined);
    if (data.length === 0) return true;
    this.pushBody(data);
    if (!this.flushQueued) { this.flushQueued = true; process.nextTick(flushLater, this); }
    return true;
  }

  end(chunk?: Buffer | string): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    if (this.destroyed) return this;
    const data = chunk === undefined ? undefined : typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (!this.headersSent) this.head(data?.length ?? 0);
    if (data && data.length > 0) this.pushBody(data);
    if (this.chunked) this.push(LAST_CHUNK);
    this.flush(true);
    this.conn.done(this);
    return this;
  }

  /** @internal The client went away before the end. */
  gone(): void {
    this.parts = [];
    this.finished(new Error('client closed the connection'));
  }

  /** @internal */
  flush(last = false): void {
    this.flushQueued = false;
    if (this.size === 0 && !last) return;
    if (this.destroyed) return;
    const parts = this.parts;
    let out: Buffer;
    if (parts.length === 1 && typeof parts[0] !== 'string') out = parts[0]!;
    else {
      out = Buffer.allocUnsafe(this.size);
      let at = 0;
      for (const p of parts) at += typeof p === 'string' ? out.write(p, at, 'latin1') : p.copy(out, at);
    }
    this.parts = [];
    this.size = 0;
    if (last) this.socket.write(out, (err) => this.finished(err));
    else this.socket.write(out);
  }

  private finished(err: Error | null | undefined): void {
    if (this.closed) return;
    this.closed = true;
    if (err) this.destroyed = true; else this.writableFinished = true;
    this.emit('close');
  }

  /** Body bytes, framed as a chunk when the body is chunked. */
  private pushBody(data: Buffer): void {
    if (this.chunked) { this.push(data.length.toString(16) + CRLF); this.push(data); this.push(CRLF); } else this.push(data);
  }

  private push(p: Buffer | string): void {
    this.parts.push(p);
    this.size += p.length;
  }

  /** The status line and headers; `length` given (end() with nothing written before): Content-Length unless set. */
  private head(length: number | undefined): void {
    this.headersSent = true;
    let head = `HTTP/1.1 ${this.statusCode} ${STATUS_CODES[this.statusCode] ?? 'unknown'}\r\n`;
    let hasLength = false;
    let hasConnection = false;
    const h = this.headers;
    if (h) {
      for (const name in h) {
        const v = h[name];
        if (v === undefined) continue;
        const lower = name.length === 14 || name.length === 10 ? name.toLowerCase() : '';
        if (lower === 'content-length') hasLength = true;
        else if (lower === 'connection') hasConnection = true;
        if (Array.isArray(v)) for (const x of v) head += `${name}: ${x}\r\n`; else head += `${name}: ${v}\r\n`;
      }
    }
    head += `Date: ${httpDate()}\r\n`;
    if (!hasConnection) head += this.keepAliveHead;
    const noBody = this.statusCode === 204 || this.statusCode === 304;
    if (!hasLength && !noBody) {
      if (length !== undefined) head += `Content-Length: ${length}\r\n`;
      else { head += 'Transfer-Encoding: chunked\r\n'; this.chunked = true; }
    }
    this.push(head + CRLF);
  }
}

function flushLater(res: FastResponse): void { res.flush(); }
