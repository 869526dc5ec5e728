/**
 * Tenants apart down to the process. Each tenant's ranks run as an unprivileged Unix user of
 * its own: `gf-<tenant>` created on demand with useradd, or the user the admin maps it to
 * (`up --run-as TENANT=USER`); the admin's jobs run as `--admin-user` (default gf-admin). A
 * tenant's files live in its own area, `<data-dir>/tenants/<tenant>/`, mode 0700 and owned by
 * its user; the data dir itself is 0711 (its users pass through to their areas, never list it),
 * the database and token files 0600. A plane that cannot switch users (not root) runs every
 * job as itself: it says so at start and serves one tenant only, unless `--single-user` says
 * the admin accepts that. Every user lookup and creation is a child process with a time limit,
 * so the event loop never waits on it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ImpossibleError } from '../lib/errors.ts';
import { singleTenantPath, tenantDir, tenantsDir } from './layout.ts';

/** The Unix identity a tenant's ranks run as. */
export interface RunAs { readonly user: string; readonly uid: number; readonly gid: number }

export interface TenancyOptions {
  readonly dataDir: string;
  /** Accept running every tenant's jobs as the plane's own user (no isolation between tenants). */
  readonly singleUser?: boolean;
  /** Unix user for the admin's jobs (default gf-admin, created on demand). */
  readonly adminUser?: string;
  /** Tenant -> existing Unix user (instead of a created gf-<tenant>). */
  readonly userMap?: Readonly<Record<string, string>>;
  /** Whether this process may switch users (default: running as root). */
  readonly canSwitchUsers?: boolean;
}

/** PATH of a rank unless its job sets one: the standard system directories, never the plane's. */
export const RANK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const COMMAND_TIMEOUT_MS = 10_000;
const NOLOGIN = '/usr/sbin/nologin';

function run(file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 1 << 16 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr: stderr || (err?.message ?? '') });
    });
  });
}

/** `gf-<tenant>`, shortened with a hash where Linux's 32-character limit on user names requires. */
export function defaultUserName(tenant: string): string {
  const name = `gf-${tenant}`;
  return name.length <= 32 ? name : `gf-${tenant.slice(0, 20)}-${createHash('sha256').update(tenant).digest('hex').slice(0, 8)}`;
}

/** Parses `user:x:uid:gid:...` of getent passwd. */
async function lookupUser(user: string): Promise<RunAs | undefined> {
  const r = await run('getent', ['passwd', user]);
  if (r.code !== 0) return undefined;
  const f = r.stdout.trim().split(':');
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  return Number.isInteger(uid) && Number.isInteger(gid) ? { user, uid, gid } : undefined;
}

/** One shared promise per key; a failure is forgotten, so the next caller tries again. */
function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (p === undefined) {
    p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

export class Tenancy {
  readonly dataDir: string;
  /** True when ranks run as per-tenant users; false in single-user mode. */
  readonly switchUsers: boolean;
  private readonly o: TenancyOptions;
  private readonly users = new Map<string, Promise<RunAs>>();
  private readonly areas = new Map<string, Promise<string>>();

  constructor(o: TenancyOptions) {
    this.o = o;
    this.dataDir = o.dataDir;
    this.switchUsers = o.canSwitchUsers ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  }

  /**
   * Tenants' users must pass through every folder above the data dir to reach their areas:
   * a clear error at `up` instead of every job failing with "permission denied".
   */
  checkReachable(): void {
    if (!this.switchUsers) return;
    for (let dir = dirname(this.dataDir); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) {
        throw new ImpossibleError(`tenants' Unix users cannot reach the data dir ${this.dataDir}: ${dir} is not searchable by others (mode ${(statSync(dir).mode & 0o777).toString(8)})`, `chmod o+x ${dir}, or pick a --data-dir whose parent folders others may pass through`);
      }
      if (dir === dirname(dir)) return;
    }
  }

  /** A line for the start banner when the plane cannot keep tenants apart. */
  modeLine(): string | undefined {
    if (this.switchUsers) return undefined;
    return `single-user mode: this plane cannot switch Unix users (not root), so every job runs as ${process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`}; ${this.o.singleUser ? 'tokens for any number of tenants are accepted (--single-user)' : 'tokens are created for one tenant only (pass --single-user to accept more, or run up as root)'}`;
  }

  /** The Unix user name a tenant's jobs run as. */
  userNameOf(tenant: string): string {
    if (tenant === 'admin') return this.o.adminUser ?? 'gf-admin';
    return this.o.userMap?.[tenant] ?? defaultUserName(tenant);
  }

  /** The tenant's Unix identity (created on demand), or undefined in single-user mode. */
  async runAs(tenant: string): Promise<RunAs | undefined> {
    if (!this.switchUsers) return undefined;
    return once(this.users, tenant, () => this.provision(tenant));
  }

  private async provision(tenant: string): Promise<RunAs> {
    const user = this.userNameOf(tenant);
    const found = await lookupUser(user);
    const created = tenant === 'admin' ? this.o.adminUser === undefined : this.o.userMap?.[tenant] === undefined;
    if (found) {
      if (found.uid === 0 || found.gid === 0) throw new ImpossibleError(`tenant ${tenant} maps to Unix user ${user}, which has uid or gid 0`, 'map the tenant to an unprivileged user (--run-as TENANT=USER, --admin-user USER)');
      return found;
    }
    if (!created) throw new ImpossibleError(`tenant ${tenant} maps to Unix user ${user}, which does not exist`, `create it (useradd ${user}) or drop the mapping`);
    const r = await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', tenantDir(this.dataDir, tenant), '--shell', NOLOGIN, user]);
    // Another plane may have created it at the same moment (exit 9: already exists).
    const made = await lookupUser(user);
    if (!made) throw new ImpossibleError(`could not create Unix user ${user} for tenant ${tenant}: ${r.stderr.trim() || `useradd exited ${r.code}`}`, 'install passwd (useradd), or map the tenant to an existing user with --run-as TENANT=USER');
    return made;
  }

  /** Creates (once) the tenant's area, 0700 and owned by its user; returns its path. */
  async area(tenant: string): Promise<string> {
    return once(this.areas, tenant, () => this.makeArea(tenant));
  }

  private async makeArea(tenant: string): Promise<string> {
    const who = await this.runAs(tenant);
    const root = tenantsDir(this.dataDir);
    await mkdir(root, { recursive: true, mode: 0o711 });
    await chmod(root, this.switchUsers ? 0o711 : 0o700);
    const dir = tenantDir(this.dataDir, tenant);
    await mkdir(dir, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
    // tenants/ belongs to the plane, so this entry is what the plane made (never a job's symlink).
    if (!(await lstat(dir)).isDirectory()) throw new ImpossibleError(`${dir} is not a directory`, 'remove it; the plane recreates the tenant\'s area');
    if (who) await chown(dir, who.uid, who.gid);
    await chmod(dir, 0o700);
    return dir;
  }

  /**
   * Whether a token may be made for `tenant`: always when users are switched or with
   * --single-user; else the first tenant is recorded and others are refused.
   */
  async admitTenant(tenant: string): Promise<string | undefined> {
    if (this.switchUsers || this.o.singleUser || tenant === 'admin') return undefined;
    const file = singleTenantPath(this.dataDir);
    const first = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (first === '') {
      await writeFile(`${file}.tmp`, `${tenant}\n`, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
      return undefined;
    }
    if (first === tenant) return undefined;
    return `this control plane runs in single-user mode (not root: it cannot run jobs as separate Unix users) and serves tenant "${first}" only; refusing a token for tenant "${tenant}". Run \`gigafactory up\` as root to keep tenants apart, or pass --single-user to accept tenants sharing one user`;
  }
}
