/**
 * Test helper: HTTP/1.1 requests written byte by byte on a TCP socket, for what fetch cannot
 * send: a Content-Length that lies, a body that stops half way, a slow upload. Bounded: the
 * socket is destroyed after `timeoutMs` whatever happens.
 */
import net from 'node:net';

export interface RawResult {
  /** HTTP status of the first response, or undefined when none came. */
  readonly status?: number;
  readonly text: string;
  /** A socket error on the client side (EPIPE, ECONNRESET), if any. */
  readonly socketError?: string;
  readonly elapsedMs: number;
}

export interface RawRequest {
  readonly port: number;
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Sent after the headers, chunk by chunk with `chunkDelayMs` between. */
  readonly body?: readonly (string | Buffer)[];
  readonly chunkDelayMs?: number;
  /** Content-Length to declare (default: the real length; null: none). */
  readonly contentLength?: number | null;
  /** After the body: 'end' (half-close, the default), 'destroy' (abort), 'hold' (stay open). */
  readonly then?: 'end' | 'destroy' | 'hold';
  readonly timeoutMs?: number;
}

export function rawRequest(r: RawRequest): Promise<RawResult> {
  const start = Date.now();
  return new Promise((resolve) => {
    const s = net.connect(r.port, '127.0.0.1');
    let text = '';
    let socketError: string | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ ...(m ? { status: Number(m[1]) } : {}), text, ...(socketError ? { socketError } : {}), elapsedMs: Date.now() - start });
    };
    const timer = setTimeout(finish, r.timeoutMs ?? 5000);
    s.on('data', (d: Buffer) => { text += d.toString('utf8'); });
    s.on('error', (e: NodeJS.ErrnoException) => { socketError = e.code ?? e.message; });
    s.on('close', finish);
    const body = (r.body ?? []).map((b) => (typeof b === 'string' ? Buffer.from(b) : b));
    const length = r.contentLength === undefined ? body.reduce((n, b) => n + b.length, 0) : r.contentLength;
    const head = [`${r.method ?? 'POST'} ${r.path} HTTP/1.1`, 'host: 127.0.0.1', ...Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
      ...(length === null ? [] : [`content-length: ${length}`]), '', ''].join('\r\n');
    s.write(head);
    void (async () => {
      for (const b of body) {
        if (r.chunkDelayMs) await new Promise((ok) => setTimeout(ok, r.chunkDelayMs));
        if (s.destroyed) return;
        await new Promise<void>((ok) => s.write(b, () => ok()));
      }
      if (r.then === 'destroy') { await new Promise((ok) => setTimeout(ok, 50)); finish(); } else if (r.then !== 'hold') s.end();
    })();
  });
}
