/**
 * PostgreSQL store URLs: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME&...]`
 * (or postgresql://). `schema` is ours (the PostgreSQL schema holding the tables, default
 * `gigafactory`); every other parameter (sslmode, ...) goes to node-postgres as is. Errors
 * name the URL with its password masked.
 */
import { ImpossibleError, InputError } from '../../lib/errors.ts';

export interface PostgresTarget {
  /** What node-postgres gets: the URL without our `schema` parameter. */
  readonly connectionString: string;
  readonly schema: string;
  /** The URL with any password replaced by ***, for messages and logs. */
  readonly display: string;
}

export const DEFAULT_PG_SCHEMA = 'gigafactory';
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

export const isPostgresUrl = (s: string) => /^postgres(ql)?:\/\//i.test(s);

export function parsePostgresUrl(url: string, field = '--store'): PostgresTarget {
  let u: URL;
  try { u = new URL(url); } catch {
    throw new InputError({ field, value: url, expected: 'a URL like postgres://user@host:5432/dbname (or a SQLite file path)' });
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol)) {
    throw new InputError({ field, value: url, expected: 'a postgres:// or postgresql:// URL' });
  }
  const schema = u.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_RE.test(schema)) {
    throw new InputError({ field: `${field} ?schema=`, value: schema, expected: 'a lower-case identifier: letters, digits, _ (at most 63), not starting with a digit' });
  }
  u.searchParams.delete('schema');
  const display = new URL(u.toString());
  if (display.password) display.password = '***';
  return { connectionString: u.toString(), schema, display: display.toString() };
}

const HINTS: Record<string, string> = {
  ECONNREFUSED: 'is PostgreSQL running and listening there? (scripts/pg-temp.sh starts a throwaway one)',
  ENOTFOUND: 'check the host name in the URL',
  ETIMEDOUT: 'check the host, port and any firewall between here and the server',
  '28P01': 'wrong password: check the user and password in the URL',
  '28000': 'the server refused this user (pg_hba.conf): check the user in the URL',
  '3D000': 'create the database first (createdb NAME), or name an existing one in the URL',
  '42501': 'this user may not create the schema or tables: grant CREATE on the database, or run once as its owner',
};

/** A failure to open the store, as an ImpossibleError naming the server and what to do. */
export function connectionError(err: unknown, target: PostgresTarget): Error {
  if (err instanceof InputError || err instanceof ImpossibleError) return err;
  const e = err as { code?: string; message?: string; errors?: { code?: string }[] };
  // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
  const code = e.code ?? e.errors?.find((x) => x.code)?.code ?? '';
  const why = e.message || code || String(err);
  return new ImpossibleError(`cannot open the PostgreSQL store ${target.display}: ${why}${code && !why.includes(code) ? ` (${code})` : ''}`,
    HINTS[code] ?? 'check the URL (postgres://user[:password]@host:port/dbname) and that the server accepts this client');
}
