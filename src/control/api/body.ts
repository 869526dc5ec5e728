/**
 * Request bodies of the API, read with a byte limit. Over the limit (by Content-Length or by
 * counting) -> 413 naming it, after the rest of the body is read and dropped (bounded), so a
 * client that sends its whole body before reading sees the 413 instead of a reset connection.
 * A client that goes away mid-body is a ClientAbortError: logged as an abort, not a server error.
 */
import { HttpError } from './errors.ts';

/** Bytes of an over-limit body read and dropped before the connection is simply closed. */
const MAX_DRAIN_BYTES = 64 << 20;

export class ClientAbortError extends Error {
  constructor(readonly bytesRead: number, cause: unknown) {
    super(`client closed the connection after ${bytesRead} bytes of the body (${(cause as Error)?.message ?? String(cause)})`);
    this.name = 'ClientAbortError';
  }
}

const tooLarge = (maxBytes: number, got: string): HttpError =>
  new HttpError(413, `request body: got ${got}; expected at most ${maxBytes} bytes (the server's body limit)`, '(body)');

/** The body as UTF-8 text, at most maxBytes. */
export async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const declared = req.headers.get('content-length');
  const declaredBytes = declared === null ? undefined : Number(declared);
  const reader = req.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let over = declaredBytes !== undefined && declaredBytes > maxBytes;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) over = true;
      if (over) {
        chunks.length = 0;
        if (bytes > MAX_DRAIN_BYTES) { void reader.cancel().catch(() => undefined); break; }
      } else chunks.push(value);
    }
  } catch (e) {
    if (over) throw tooLarge(maxBytes, `${declaredBytes ?? bytes}+ bytes`);
    throw new ClientAbortError(bytes, e);
  }
  if (over) throw tooLarge(maxBytes, `${declaredBytes ?? bytes}${declaredBytes === undefined ? '+' : ''} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}
