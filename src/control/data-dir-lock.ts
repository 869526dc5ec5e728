// One control plane per data dir: `<data-dir>/up.pid`, taken with O_EXCL. A lock whose
// process is gone (SIGKILL, reboot) is stale and taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { ImpossibleError } from '../lib/errors.ts';
import { isAlive } from './local/proc.ts';

import { lockPath } from './layout.ts';

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
