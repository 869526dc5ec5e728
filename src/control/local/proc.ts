// Process helpers for the local executor: liveness, ownership, group kill, free ports.
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

/** True while `pid` runs. A zombie (exited, not yet reaped by its new parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

/** True while any process of the group runs (zombies aside: they hold no resources). */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(name)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) return true;
    }
    return false;
  } catch {
    return true;
  }
}

/**
 * True when `pid` is alive and its environment says it is this job's attempt: guards
 * re-adoption against a pid reused by an unrelated process after a reboot or long downtime.
 * Where /proc cannot be read, liveness alone decides.
 */
export function isRankProcess(pid: number, jobId: string, attempt: number): boolean {
  if (!isAlive(pid)) return false;
  let environ: string;
  try { environ = readFileSync(`/proc/${pid}/environ`, 'latin1'); } catch { return true; }
  const vars = environ.split('\0');
  return vars.includes(`GF_JOB_ID=${jobId}`) && vars.includes(`GF_ATTEMPT=${attempt}`);
}

/** Signals a whole process group (the rank and everything it started). */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pgid, signal); } catch { /* already gone */ }
}

/** A TCP port free on 127.0.0.1 right now (for MASTER_PORT). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Process groups of an attempt found by their environment (GF_JOB_ID and GF_ATTEMPT): how a
 * restarted control plane finds ranks it launched but never recorded (killed between launch
 * and commit of the handle), so they do not run on beside the requeued attempt.
 */
export function findAttemptGroups(jobId: string, attempt: number): number[] {
  const groups = new Set<number>();
  let names: string[];
  try { names = readdirSync('/proc'); } catch { return []; }
  for (const name of names) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const vars = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (!vars.includes(`GF_JOB_ID=${jobId}`) || !vars.includes(`GF_ATTEMPT=${attempt}`)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      groups.add(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]));
    } catch { /* gone or not ours to read */ }
  }
  return [...groups].filter((g) => g > 1);
}
