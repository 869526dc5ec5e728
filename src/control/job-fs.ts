/**
 * File-system actions the plane takes on a job's behalf, in a tenant's area: each runs in a
 * child process as the tenant's user with a time limit, so a job's files (a symlink to the
 * admin token, a FIFO, a path on a hung mount) can neither show the tenant more than its
 * user may read nor stall the plane's event loop.
 */
import { execFile } from 'node:child_process';
import type { Tenancy } from './tenancy.ts';

export const JOB_FS_TIMEOUT_MS = 5000;

/** Up to `maxBytes` of `file` from byte `offset`, read as the tenant's user ('' when absent or unreadable). */
export async function readJobFile(tenancy: Tenancy | undefined, tenant: string, file: string, offset: number, maxBytes: number): Promise<Buffer> {
  const who = await tenancy?.runAs(tenant);
  return new Promise((resolve) => {
    execFile('dd', [`if=${file}`, 'iflag=skip_bytes,count_bytes,nofollow,nonblock', `skip=${offset}`, `count=${maxBytes}`, 'bs=65536', 'status=none'], {
      encoding: 'buffer', timeout: JOB_FS_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: maxBytes + 1024, cwd: '/', env: { PATH: '/usr/bin:/bin' },
      ...(who ? { uid: who.uid, gid: who.gid } : {}),
    }, (err, stdout) => resolve(err ? Buffer.alloc(0) : stdout.subarray(0, maxBytes)));
  });
}
