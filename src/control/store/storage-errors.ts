/**
 * Storage failures that are the machine's, not the request's: a full disk, a read-only file
 * system. The API answers them 507 / 503 naming the cause (never 500), `up` prints one line and
 * exits 2. They pass once space or write access returns; nothing half-written stays behind
 * (each store change is one transaction, rolled back on failure).
 */
import { ImpossibleError } from '../../lib/errors.ts';

export type StorageProblem = 'full' | 'read-only';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100' /* PostgreSQL disk_full */]);
const READ_ONLY = new Set(['EROFS', 'SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CANTOPEN', 'EACCES', 'EPERM']);

/** 'full' / 'read-only' for an error (fs errno, SQLite or PostgreSQL code) of that kind; else undefined. */
export function storageProblem(err: unknown): StorageProblem | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (FULL.has(code)) return 'full';
  if (READ_ONLY.has(code)) return 'read-only';
  return undefined;
}

export class StorageError extends ImpossibleError {
  readonly httpStatus: 503 | 507;
  constructor(readonly problem: StorageProblem, readonly where: string, cause: string) {
    super(problem === 'full' ? `no space left for ${where} (${cause})` : `cannot write ${where}: read-only or not permitted (${cause})`,
      problem === 'full' ? 'free space on that disk (or use another --data-dir); once there is room a running control plane carries on by itself, and nothing stored is lost'
        : 'make it writable by this user, or point --data-dir at a writable directory');
    this.name = 'StorageError';
    this.httpStatus = problem === 'full' ? 507 : 503;
  }
}

/** A StorageError for storage failures, the error itself otherwise. */
export function asStorageError(err: unknown, where: string): unknown {
  const problem = storageProblem(err);
  if (problem === undefined || err instanceof StorageError) return err;
  const e = err as { code: string; message?: string };
  const first = (e.message ?? '').split('\n')[0] ?? '';
  return new StorageError(problem, where, first.startsWith(e.code) ? first : `${e.code}: ${first}`);
}
