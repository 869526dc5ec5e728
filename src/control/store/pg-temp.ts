/**
 * A throwaway, real PostgreSQL server in a temp dir, for tests, benches and trying the
 * PostgreSQL store by hand (scripts/pg-temp.sh). initdb + postgres from the Debian package
 * (/usr/lib/postgresql/<version>/bin), listening on 127.0.0.1 at a free port and on a unix
 * socket inside the temp dir. Postgres refuses to run as root, so as root it runs as the
 * `postgres` user (runuser) in a dir that user owns.
 *
 * The server runs under a small watchdog shell whose stdin is a pipe from this process: when
 * this process exits for any reason (a failed test, SIGKILL), the pipe closes and the
 * watchdog shuts the server down, so no postgres outlives its test. stop() also removes the
 * temp dir; crash() stops it the way a power cut would (SIGQUIT: no checkpoint) for recovery
 * tests, and start() runs it again on the same data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TempPostgresOptions {
  /**
   * Keep fsync on. Default off: commits still write the WAL to the OS at COMMIT
   * (synchronous_commit stays on), so they survive a crash of the server process, but not a
   * power cut; a throwaway server needs no more, and it is much faster.
   */
  readonly durable?: boolean;
  /** Log lines from the server (default: kept in <dir>/server.log only). */
  readonly log?: (line: string) => void;
}

export interface TempPostgres {
  /** postgres://gigafactory@127.0.0.1:PORT/gigafactory */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server cleanly (if running) and deletes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Kills the server without a checkpoint (recovery replays the WAL on start). */
  crash(): Promise<void>;
  /** Starts it again on the same data after crash(). */
  start(): Promise<void>;
}

/** The newest PostgreSQL bin dir on this machine, or undefined when PostgreSQL is not installed. */
export function findPostgresBin(root = '/usr/lib/postgresql'): string | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** Runs argv as the postgres user when we are root (postgres refuses root), else as ourselves. */
function asDbUser(argv: string[]): [string, string[]] {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot ? ['runuser', ['-u', 'postgres', '--', ...argv]] : [argv[0]!, argv.slice(1)];
}

function dbUserIds(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root but there is no `postgres` user to run the server as (apt-get install -y postgresql creates it)');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

async function waitReady(url: string, child: ChildProcess, logPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`postgres exited before accepting connections:\n${tail(logPath)}`);
    }
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within ${timeoutMs} ms:\n${tail(logPath)}`);
      await sleep(50);
    }
  }
}

function tail(path: string): string {
  try { return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n'); } catch { return '(no server log)'; }
}

/** Starts a fresh server; throws (with the server log) if it cannot. */
export async function startTempPostgres(o: TempPostgresOptions = {}): Promise<TempPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); apt-get install -y postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'gf-pg-'));
  const data = join(dir, 'data');
  const logPath = join(dir, 'server.log');
  const ids = dbUserIds();
  try {
    mkdirSync(data, { mode: 0o700 });
    if (ids) { chownSync(dir, ids.uid, ids.gid); chownSync(data, ids.uid, ids.gid); }
    const [cmd, args] = asDbUser([join(bin, 'initdb'), '-D', data, '-U', 'gigafactory', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const init = spawnSync(cmd, args, { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed (exit ${init.status}): ${init.stderr || init.error?.message}`);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  let child: ChildProcess | undefined;
  let port = 0;
  const urlFor = (p: number) => `postgres://gigafactory@127.0.0.1:${p}/postgres`;

  const launch = async (): Promise<void> => {
    const settings = [
      `-p ${port}`, `-k ${dir}`, `-c listen_addresses=127.0.0.1`, `-c max_connections=100`, `-c shared_buffers=32MB`,
      ...(o.durable ? [] : ['-c fsync=off', '-c full_page_writes=off']),
    ].join(' ');
    // Watchdog: stdin EOF (our process gone) -> fast shutdown; a `crash` line -> SIGQUIT.
    const script = `${join(bin, 'postgres')} -D '${data}' ${settings} >>'${logPath}' 2>&1 & pid=$!
while read -r cmd; do if [ "$cmd" = crash ]; then kill -QUIT $pid; wait $pid; exit 0; fi; done
kill -INT $pid 2>/dev/null; wait $pid`;
    const [cmd, args] = asDbUser(['sh', '-c', script]);
    const c = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    c.stdin?.on('error', () => undefined);
    // Do not keep the event loop alive for the server; the pipe closes when we exit.
    c.unref();
    (c.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    child = c;
    await waitReady(urlFor(port), c, logPath, 20_000);
    o.log?.(`postgres ready on ${urlFor(port)} (data ${data})`);
  };

  const shutdown = async (how: 'fast' | 'crash'): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.ref(); // keep this process alive until the server is down
    const exited = new Promise<void>((ok) => c.once('exit', () => ok()));
    if (how === 'crash') c.stdin?.write('crash\n');
    c.stdin?.end();
    const timer = new Promise<'timeout'>((ok) => setTimeout(() => ok('timeout'), 15_000).unref());
    if ((await Promise.race([exited, timer])) === 'timeout') c.kill('SIGKILL');
  };

  // A port picked free can be taken before postgres binds it: retry a few times.
  for (let tries = 0; ; tries++) {
    port = await freePort();
    try { await launch(); break; } catch (err) {
      await shutdown('fast');
      if (tries >= 2) { rmSync(dir, { recursive: true, force: true }); throw err; }
    }
  }

  let stopped = false;
  // If this process exits without stop() (a test threw), the watchdog stops the server; this removes the dir.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  return {
    get url() { return urlFor(port); },
    get port() { return port; },
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await shutdown('fast');
      process.removeListener('exit', removeDir);
      removeDir();
    },
    crash: () => shutdown('crash'),
    async start() {
      if (stopped) throw new Error('this temp server was stopped and its data deleted');
      if (!child) await launch();
    },
  };
}
