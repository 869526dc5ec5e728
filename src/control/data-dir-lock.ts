// One control plane per data dir: `<data-dir>/up.pid`, taken with O_EXCL. A lock whose
// process is gone (SIGKILL, reboot) is stale and taken over.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { ImpossibleError } from '../lib/errors.ts';
import { lockPath, planeIdPath } from './layout.ts';
import { isAlive } from './local/proc.ts';

export { lockPath };

/** Takes the data dir for this process; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const path = lockPath(dataDir);
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try { if (Number(readFileSync(path, 'utf8')) === process.pid) rmSync(path, { force: true }); } catch { /* already gone */ }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let pid = NaN;
      try { pid = Number.parseInt(readFileSync(path, 'utf8'), 10); } catch { /* vanished: retry */ }
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new ImpossibleError(`data dir ${dataDir} is in use by another control plane (pid ${pid})`, 'stop that `gigafactory up` first, or use another --data-dir');
      }
      rmSync(path, { force: true });
    }
  }
  throw new ImpossibleError(`could not lock data dir ${dataDir}`, 'is another `gigafactory up` starting at the same moment? try again');
}

/**
 * This data dir's plane id: random, made at first start and kept in `<data-dir>/plane-id`
 * (0600). Every process the plane launches carries it (GF_PLANE_ID); the plane finds and
 * signals only processes with its own id, so two planes on one machine, whose job ids both
 * start at job-1, never touch each other's jobs.
 */
export function planeIdOf(dataDir: string): string {
  const path = planeIdPath(dataDir);
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (/^[0-9a-f]{16,64}$/.test(id)) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = randomBytes(12).toString('hex');
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${id}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return id;
}
