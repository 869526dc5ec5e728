/**
 * The gateway's HTTP/1.1 client for its upstream leg (gateway -> replica): keep-alive
 * connections per replica origin, one socket write per request, and a small response parser
 * (status line, headers; a body by Content-Length, chunked, or until the connection closes)
 * that hands the body on as the Buffers it arrived in. It does only what the proxy needs:
 * node:http's ClientRequest / Agent / IncomingMessage cost about a third of the gateway's CPU
 * per streamed request (bench/gateway.bench.ts). Health checks still use node:http.
 */
import net from 'node:net';

/** What the caller hears of one request; after onEnd or onError, nothing more. */
export interface UpstreamHandlers {
  /** The final (non-1xx) response head: its status and Content-Type (the only header the proxy passes on). */
  onHead(status: number, contentType: string | undefined): void;
  /** A piece of the body, decoded from chunked transfer coding where the replica used it. */
  onData(chunk: Buffer): void;
  onEnd(): void;
  /** The request failed before its body ended; `afterHead` says whether onHead had come. */
  onError(err: Error, afterHead: boolean): void;
}

/** One request in flight. */
export interface UpstreamCall {
  /** Drops the request and its connection; onError(err) follows only when `err` is given. */
  abort(err?: Error): void;
}

export interface UpstreamTarget {
  readonly hostname: string;
  readonly port: number;
}

/** Longest response head accepted (node:http's default limit is 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

type BodyMode = 'none' | 'length' | 'chunked' | 'close';
type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close';

/** Keep-alive connections per origin (host:port), most recently freed first. */
export class UpstreamPool {
  private readonly idle = new Map<string, Connection[]>();
  private readonly open = new Map<string, number>();
  private readonly waiting = new Map<string, Pending[]>();
  /** Every open connection, idle or busy (destroy() closes them all). */
  private readonly all = new Set<Connection>();
  private closed = false;

  constructor(private readonly maxSocketsPerOrigin = 512) {}

  /** Sends `head` (request line and headers, ending in a blank line) then `body`. */
  request(target: UpstreamTarget, head: string, body: Buffer, handlers: UpstreamHandlers): UpstreamCall {
    const key = `${target.hostname}:${target.port}`;
    const pending = new Pending(this, target, key, head, body, handlers);
    if (this.closed) { pending.fail(new Error('gateway is closing')); return pending; }
    this.dispatch(pending);
    return pending;
  }

  /** Closes every connection; requests in flight fail. */
  destroy(): void {
    this.closed = true;
    for (const c of [...this.all]) c.socket.destroy();
    this.idle.clear();
    for (const list of this.waiting.values()) for (const p of list) p.fail(new Error('gateway is closing'));
    this.waiting.clear();
  }

  /** Connections open per origin (idle and busy), for tests and stats. */
  connections(): Record<string, number> {
    return Object.fromEntries(this.open);
  }

  private dispatch(p: Pending, fresh = false): void {
    const idle = fresh ? undefined : this.idle.get(p.key);
    let reused: Connection | undefined;
    // A replica that closed an idle connection may not have been heard yet: skip those.
    while (idle && (reused = idle.pop()) && !reused.socket.writable) reused.socket.destroy();
    if (reused?.socket.writable) { reused.start(p); return; }
    const open = this.open.get(p.key) ?? 0;
    if (open >= this.maxSocketsPerOrigin) {
      let q = this.waiting.get(p.key);
      if (!q) { q = []; this.waiting.set(p.key, q); }
      q.push(p);
      return;
    }
    this.open.set(p.key, open + 1);
    const c = new Connection(this, p.key, p.target);
    this.all.add(c);
    c.start(p);
  }

  /** @internal A connection finished a response and may take another. */
  release(c: Connection): void {
    const next = this.nextWaiting(c.key);
    if (next) { c.start(next); return; }
    if (this.closed) { c.socket.destroy(); return; }
    c.socket.unref();
    let list = this.idle.get(c.key);
    if (!list) { list = []; this.idle.set(c.key, list); }
    list.push(c);
  }

  /** @internal A connection closed. */
  gone(c: Connection): void {
    this.all.delete(c);
    const list = this.idle.get(c.key);
    const at = list ? list.indexOf(c) : -1;
    if (at >= 0) list!.splice(at, 1);
    const open = (this.open.get(c.key) ?? 1) - 1;
    if (open > 0) this.open.set(c.key, open); else this.open.delete(c.key);
    const next = this.nextWaiting(c.key);
    if (next) this.dispatch(next);
  }

  /** @internal */
  isClosed(): boolean { return this.closed; }

  /** @internal A request whose kept-alive connection closed before any answer: once more, on a new connection. */
  resend(p: Pending): void {
    this.dispatch(p, true);
  }

  /** @internal */
  unqueue(p: Pending): void {
    const q = this.waiting.get(p.key);
    const at = q ? q.indexOf(p) : -1;
    if (at >= 0) q!.splice(at, 1);
  }

  private nextWaiting(key: string): Pending | undefined {
    const q = this.waiting.get(key);
    if (!q) return undefined;
    const next = q.shift();
    if (q.length === 0) this.waiting.delete(key);
    return next;
  }
}

/** A request: queued, then on a connection until its response ends or fails. */
class Pending implements UpstreamCall {
  conn: Connection | undefined;
  done = false;
  gotHead = false;
  /** Sent again on a fresh connection once, after a kept-alive one closed without a byte of answer. */
  resent = false;

  constructor(private readonly pool: UpstreamPool, readonly target: UpstreamTarget, readonly key: string, readonly head: string, readonly body: Buffer, readonly h: UpstreamHandlers) {}

  abort(err?: Error): void {
    if (this.done) return;
    this.done = true;
    if (this.conn) this.conn.drop(this);
    else this.pool.unqueue(this);
    if (err) this.h.onError(err, this.gotHead);
  }

  fail(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.h.onError(err, this.gotHead);
  }
}

/** One keep-alive socket and the parser state of the response it is reading. */
class Connection {
  readonly socket: net.Socket;
  private call: Pending | undefined;
  private state: State = 'head';
  private headParts: Buffer[] = [];
  private headBytes = 0;
  private remaining = 0;
  private line = '';
  private keepAlive = true;
  private error: Error | undefined;
  /** A response that ended in the packet being read: released after the rest of it is looked at. */
  private finished: Pending | undefined;
  private closedOnce = false;
  /** Responses completed on this connection, and whether the current one has sent any byte. */
  private served = 0;
  private answered = false;

  constructor(private readonly pool: UpstreamPool, readonly key: string, target: UpstreamTarget) {
    this.socket = net.connect({ host: target.hostname, port: target.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 10_000 });
    this.socket.on('data', (b: Buffer) => this.onData(b));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (e) => { this.error ??= e; });
    this.socket.on('close', () => this.onClose());
  }

  start(p: Pending): void {
    p.conn = this;
    this.call = p;
    this.answered = false;
    this.state = 'head';
    this.keepAlive = true;
    this.socket.ref();
    // One buffer, one write (no cork/uncork, no writev): the head is latin1, one byte a character.
    const out = Buffer.allocUnsafe(p.head.length + p.body.length);
    out.write(p.head, 0, 'latin1');
    p.body.copy(out, p.head.length);
    this.socket.write(out);
  }

  /** The caller gave up on its request: the response, if any, is abandoned with the socket. */
  drop(p: Pending): void {
    if (this.call !== p) return;
    this.call = undefined;
    this.socket.destroy();
  }

  private onData(b: Buffer): void {
    if (!this.call) { this.socket.destroy(); return; } // bytes nobody asked for: not reusable
    this.answered = true;
    let at = 0;
    while (at < b.length && this.call) {
      switch (this.state) {
        case 'head': at = this.readHead(b, at); break;
        case 'length': {
          const n = Math.min(this.remaining, b.length - at);
          const piece = n === b.length ? b : b.subarray(at, at + n);
          at += n;
          this.remaining -= n;
          this.call.h.onData(piece);
          if (this.remaining === 0) this.complete();
          break;
        }
        case 'chunk-size': at = this.readChunkSize(b, at); break;
        case 'chunk-data': {
          const n = Math.min(this.remaining, b.length - at);
          const piece = b.subarray(at, at + n);
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'chunk-end';
          this.call.h.onData(piece);
          break;
        }
        case 'chunk-end': at = this.readLine(b, at, (line) => {
          if (line !== '') return this.protocolError(`expected CRLF after a chunk, got ${JSON.stringify(line.slice(0, 20))}`);
          this.state = 'chunk-size';
        }); break;
        case 'trailers': at = this.readLine(b, at, (line) => { if (line === '') this.complete(); }); break;
        case 'close': this.call.h.onData(at === 0 ? b : b.subarray(at)); at = b.length; break;
      }
    }
    const f = this.finished;
    if (!f) return;
    this.finished = undefined;
    // Bytes past the end of the response: the connection cannot be trusted for another request.
    if (this.keepAlive && at >= b.length && !this.socket.destroyed) this.pool.release(this); else this.socket.destroy();
    f.h.onEnd();
  }

  /** Reads up to the blank line ending a response head; returns the new offset. */
  private readHead(b: Buffer, at: number): number {
    const end = this.headParts.length === 0 ? b.indexOf(CRLFCRLF, at) : -1;
    let head: string;
    let next: number;
    if (end >= 0) {
      head = b.toString('latin1', at, end);
      next = end + 4;
    } else {
      // The head came in pieces (rare): join them and look again.
      this.headParts.push(at === 0 ? b : b.subarray(at));
      this.headBytes += b.length - at;
      const all = Buffer.concat(this.headParts);
      const e = all.indexOf(CRLFCRLF);
      if (e < 0) {
        if (this.headBytes > MAX_HEAD_BYTES) this.protocolError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
        return b.length;
      }
      this.headParts = [];
      this.headBytes = 0;
      head = all.toString('latin1', 0, e);
      next = b.length - (all.length - (e + 4)); // the rest of `all` is the tail of `b`
    }
    if (head.length > MAX_HEAD_BYTES) { this.protocolError(`response head larger than ${MAX_HEAD_BYTES} bytes`); return b.length; }
    this.parseHead(head);
    return next;
  }

  private parseHead(head: string): void {
    const firstEnd = head.indexOf('\r\n');
    const first = firstEnd < 0 ? head : head.slice(0, firstEnd);
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(first);
    if (!m) { this.protocolError(`not an HTTP/1.x status line: ${JSON.stringify(first.slice(0, 40))}`); return; }
    const status = Number(m[2]);
    if (status >= 100 && status < 200 && status !== 101) return; // interim response: the real one follows
    // Only the four headers that matter are looked at (by length first: no string per other header).
    const headers: { 'content-type'?: string; 'content-length'?: string; 'transfer-encoding'?: string; connection?: string } = {};
    for (let at = firstEnd < 0 ? head.length : firstEnd + 2; at < head.length;) {
      let eol = head.indexOf('\r\n', at);
      if (eol < 0) eol = head.length;
      const colon = head.indexOf(':', at);
      const nameLength = colon - at;
      if (colon >= 0 && colon < eol && (nameLength === 12 || nameLength === 14 || nameLength === 17 || nameLength === 10)) {
        const name = head.slice(at, colon).toLowerCase();
        if (name === 'content-type' || name === 'content-length' || name === 'transfer-encoding' || name === 'connection') {
          const value = head.slice(colon + 1, eol).trim();
          headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
        }
      }
      at = eol + 2;
    }
    const connection = (headers.connection ?? '').toLowerCase();
    this.keepAlive = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    let mode: BodyMode;
    const te = headers['transfer-encoding'];
    if (status === 101) { this.protocolError('the replica switched protocols (HTTP 101)'); return; }
    if (status === 204 || status === 304) mode = 'none';
    else if (te !== undefined) mode = /(?:^|,)\s*chunked\s*$/i.test(te) ? 'chunked' : 'close';
    else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (!/^\d+$/.test(headers['content-length']) || !Number.isSafeInteger(n)) { this.protocolError(`bad content-length ${JSON.stringify(headers['content-length'])}`); return; }
      this.remaining = n;
      mode = n === 0 ? 'none' : 'length';
    } else mode = 'close';
    if (mode === 'close') this.keepAlive = false;
    const call = this.call!;
    call.gotHead = true;
    this.state = mode === 'none' ? 'head' : mode === 'length' ? 'length' : mode === 'chunked' ? 'chunk-size' : 'close';
    call.h.onHead(status, headers['content-type']);
    if (mode === 'none' && this.call === call) this.complete();
  }

  private readChunkSize(b: Buffer, at: number): number {
    return this.readLine(b, at, (line) => {
      const semi = line.indexOf(';');
      const hex = (semi >= 0 ? line.slice(0, semi) : line).trim();
      const size = /^[0-9a-fA-F]{1,12}$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(size)) return this.protocolError(`bad chunk size ${JSON.stringify(line.slice(0, 20))}`);
      if (size === 0) { this.state = 'trailers'; return; }
      this.remaining = size;
      this.state = 'chunk-data';
    });
  }

  /** Collects one CRLF-ended line (possibly over several packets) and hands it to `done`. */
  private readLine(b: Buffer, at: number, done: (line: string) => void): number {
    const nl = b.indexOf(10, at);
    if (nl < 0) {
      this.line += b.toString('latin1', at, b.length);
      if (this.line.length > 4096) this.protocolError('line longer than 4096 bytes in a chunked body');
      return b.length;
    }
    let line = this.line + b.toString('latin1', at, nl);
    this.line = '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    done(line);
    return nl + 1;
  }

  /** The response ended (onData releases the connection and tells the caller). */
  private complete(): void {
    const call = this.call!;
    this.call = undefined;
    call.done = true;
    call.conn = undefined;
    this.state = 'head';
    this.served++;
    this.finished = call;
  }

  private protocolError(message: string): void {
    this.error = new Error(`bad response from the replica: ${message}`);
    this.socket.destroy();
    this.onClose();
  }

  private onEnd(): void {
    const call = this.call;
    if (!call || this.state !== 'close') return;
    this.call = undefined;
    call.done = true;
    call.conn = undefined;
    this.socket.destroy();
    call.h.onEnd();
  }

  private onClose(): void {
    const call = this.call;
    this.call = undefined;
    if (!this.closedOnce) { this.closedOnce = true; this.pool.gone(this); }
    if (!call || call.done) return;
    // A kept-alive connection that the replica closed as this request went out (its idle
    // timeout): no byte of answer came, so the request goes once more on a fresh connection.
    if (this.served > 0 && !this.answered && !call.resent && !this.pool.isClosed()) {
      call.resent = true;
      call.conn = undefined;
      this.pool.resend(call);
      return;
    }
    call.done = true;
    const why = this.error ?? new Error(call.gotHead ? 'upstream closed the connection mid-answer' : 'socket hang up');
    call.h.onError(why, call.gotHead);
  }
}
