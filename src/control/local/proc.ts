// Process helpers for the local executor: liveness, ownership (scoped by plane id), group kill, free ports.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
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

/** The environment a process was started with, or undefined (gone, or not ours to read). */
function environOf(pid: number | string): string[] | undefined {
  try { return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0'); } catch { return undefined; }
}

/** The marks every process a plane launches carries: its plane id, job and attempt. */
const marks = (planeId: string, jobId: string, attempt: number): string[] => [`GF_PLANE_ID=${planeId}`, `GF_JOB_ID=${jobId}`, `GF_ATTEMPT=${attempt}`];

/**
 * True when `pid` is alive and its environment says it is this plane's rank of this attempt:
 * guards re-adoption against a pid reused by an unrelated process (or by another plane's
 * job of the same name) after a reboot or long downtime. Where /proc cannot be read,
 * liveness alone decides.
 */
export function isRankProcess(pid: number, planeId: string, jobId: string, attempt: number): boolean {
  if (!isAlive(pid)) return false;
  const vars = environOf(pid);
  if (vars === undefined) return existsSync('/proc/self/environ') ? false : true;
  return marks(planeId, jobId, attempt).every((m) => vars.includes(m));
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

/** Rank process groups of this plane, found by their environment: `jobId#attempt` -> rank -> pgid. */
export type PlaneRanks = Map<string, Map<number, number>>;

/**
 * Every rank wrapper this plane launched that still runs, found by its environment
 * (GF_PLANE_ID, GF_JOB_ID, GF_ATTEMPT, RANK): how a restarted plane finds ranks it launched
 * but never recorded (killed between launch and commit of the handle). Only the group
 * leaders (the wrappers, pid = pgid) count; the scan never matches another plane's
 * processes, whose GF_PLANE_ID differs, even for the same job id.
 */
export function scanPlaneRanks(planeId: string): PlaneRanks {
  const out: PlaneRanks = new Map();
  let names: string[];
  try { names = readdirSync('/proc'); } catch { return out; }
  const mark = `GF_PLANE_ID=${planeId}`;
  for (const name of names) {
    if (!/^[0-9]+$/.test(name)) continue;
    const vars = environOf(name);
    if (vars === undefined || !vars.includes(mark)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgid = Number(fields[2]);
      if (fields[0] === 'Z' || pgid !== Number(name) || pgid <= 1) continue;
      const get = (k: string) => vars.find((v) => v.startsWith(`${k}=`))?.slice(k.length + 1);
      const job = get('GF_JOB_ID');
      const attempt = get('GF_ATTEMPT');
      const rank = Number(get('RANK'));
      if (job === undefined || attempt === undefined || !Number.isInteger(rank)) continue;
      const k = `${job}#${attempt}`;
      if (!out.has(k)) out.set(k, new Map());
      out.get(k)!.set(rank, pgid);
    } catch { /* gone */ }
  }
  return out;
}

/** Process groups of one attempt of this plane (see scanPlaneRanks). */
export function findAttemptGroups(planeId: string, jobId: string, attempt: number): number[] {
  return [...(scanPlaneRanks(planeId).get(`${jobId}#${attempt}`)?.values() ?? [])];
}
