/**
 * HTTP errors of the API, and the one place that maps every error to a response (like
 * Hono's HTTPException + onError). User errors get a 4xx JSON body naming the field;
 * anything else is a bug: 500 with no stack in the body (the server logs it) and the server
 * keeps running.
 */
import { boundedValue } from '../../lib/describe.ts';
import { ImpossibleError, InputError, UnknownNameError } from '../../lib/errors.ts';
import { JobNotFoundError, JobStateError } from '../store/types.ts';
import { StoreUnavailableError } from '../store/pg-errors.ts';
import { asStorageError, StorageError } from '../store/storage-errors.ts';

export class HttpError extends Error {
  constructor(readonly status: 400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 422, message: string, readonly field?: string) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  readonly error: { readonly status: number; readonly message: string; readonly issues?: readonly { field: string; value?: unknown; expected: string }[] };
}

export function errorResponse(thrown: unknown, log?: (line: string) => void): { status: number; body: ErrorBody } {
  const err = asStorageError(thrown, 'the control plane\'s store');
  if (err instanceof StorageError) {
    log?.(`storage: ${err.message}`);
    return { status: err.httpStatus, body: { error: { status: err.httpStatus, message: err.message } } };
  }
  if (err instanceof HttpError) return { status: err.status, body: { error: { status: err.status, message: err.message } } };
  if (err instanceof InputError) {
    const issues = err.issues.map((i) => ({ field: i.field, value: boundedValue(i.value), expected: i.expected }));
    return { status: 400, body: { error: { status: 400, message: err.message, issues } } };
  }
  if (err instanceof JobNotFoundError) return { status: 404, body: { error: { status: 404, message: err.message } } };
  if (err instanceof UnknownNameError) return { status: 404, body: { error: { status: 404, message: err.message } } };
  if (err instanceof JobStateError) return { status: 409, body: { error: { status: 409, message: err.message } } };
  if (err instanceof StoreUnavailableError) return { status: 503, body: { error: { status: 503, message: err.message } } };
  if (err instanceof ImpossibleError) return { status: 422, body: { error: { status: 422, message: err.message } } };
  log?.(`internal error: ${(err as Error)?.stack ?? String(err)}`);
  return { status: 500, body: { error: { status: 500, message: 'internal error (logged by the server)' } } };
}
