/**
 * The store cannot serve right now (database unreachable, restarting, or this control plane
 * lost its store to another one): a retryable condition, not a bug. An ImpossibleError, so
 * the CLI prints it as `error: ...` with the hint and exits 2; the API answers 503.
 */
import { ImpossibleError } from '../../lib/errors.ts';
import type { PostgresTarget } from './pg-url.ts';

export class StoreUnavailableError extends ImpossibleError {
  readonly httpStatus = 503;
  constructor(message: string, hint: string) {
    super(message, hint);
    this.name = 'StoreUnavailableError';
  }
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** True for errors that mean "no usable connection" (not a bad query or a constraint). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: { code?: unknown }[] } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (NET_CODES.has(code) || e.errors?.some((x) => typeof x.code === 'string' && NET_CODES.has(x.code))) return true;
  // SQLSTATE class 08 (connection exception), 57P01-03 (shutdown, crash, starting up).
  if (/^08/.test(code) || /^57P0[123]$/.test(code)) return true;
  return typeof e.message === 'string' && /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(e.message);
}

/** Connection failures become StoreUnavailableError; everything else passes through unchanged. */
export function unavailable(err: unknown, target: PostgresTarget): unknown {
  if (!isConnectionError(err)) return err;
  const why = (err as Error).message || String(err);
  return new StoreUnavailableError(`the PostgreSQL store ${target.display} is unavailable: ${why}`,
    'the control plane keeps running and retries on the next request; check that the database server is up');
}
