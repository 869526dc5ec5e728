/**
 * One control plane per PostgreSQL store: `gigafactory up` holds a session advisory lock
 * (keyed by the schema) on a connection of its own for as long as it runs. A second `up` on
 * the same store fails at once with who holds it. The lock goes when its connection does
 * (process exit or SIGKILL closes the socket), so a crashed control plane never blocks the
 * next one.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { StoreUnavailableError } from './pg-errors.ts';
import type { PostgresTarget } from './pg-url.ts';

/** First key of the two-int advisory lock: 'gf' in ASCII, so other software's locks do not collide. */
const LOCK_CLASS = 0x6766;

export async function takeControlPlaneLock(target: PostgresTarget, onError?: (err: Error) => void): Promise<pg.Client> {
  const me = `gigafactory up on ${hostname()} pid ${process.pid}`;
  const c = new pg.Client({ connectionString: target.connectionString, application_name: me.slice(0, 63), keepAlive: true });
  c.on('error', (err) => onError?.(err));
  await c.connect();
  try {
    const got = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_CLASS, target.schema])).rows[0]?.ok;
    if (got) return c;
    // classid/objid of a two-int advisory lock are its keys as unsigned 32-bit numbers.
    const holder = (await c.query<{ application_name: string; client_addr: string | null }>(
      `SELECT a.application_name, host(a.client_addr) AS client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid::bigint = $1 AND l.objid::bigint = (hashtext($2)::bigint & 4294967295) AND l.objsubid = 2`,
      [LOCK_CLASS, target.schema])).rows[0];
    const who = holder ? `${holder.application_name || 'another client'}${holder.client_addr ? ` (${holder.client_addr})` : ''}` : 'another control plane';
    throw new StoreUnavailableError(`the store ${target.display} (schema ${target.schema}) is in use by ${who}`,
      'run one `gigafactory up` per store and point every CLI at it; for a separate control plane use another database or ?schema=NAME');
  } catch (err) {
    await c.end().catch(() => undefined);
    throw err;
  }
}
