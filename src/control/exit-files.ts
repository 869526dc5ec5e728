/**
 * Reading a rank's exit file safely. The rank wrapper (local/executor.ts, slurm/script.ts)
 * writes `rank-R.exit` atomically: the code goes to `rank-R.exit.tmp`, which is then renamed,
 * so a reader sees no file or a whole one, never half of one. The file lies in the tenant's
 * area, so the plane opens it without following a symlink and without blocking (a FIFO put
 * there by a job must not hang the plane), and reads only a regular file's first bytes.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { rankExitFile } from './layout.ts';

export interface RankExit { readonly code: number; readonly mtimeMs: number }

/** The recorded exit of a rank, or undefined while it has none (or the file is not a whole exit record). */
export function readRankExit(logDir: string, rank: number): RankExit | undefined {
  let fd: number;
  try { fd = openSync(rankExitFile(logDir, rank), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK); } catch { return undefined; }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(32);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const m = /^([0-9]{1,3})\n?$/.exec(buf.subarray(0, n).toString('latin1'));
    return m ? { code: Number(m[1]), mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The shell lines that record `$code` in `$GF_EXIT_FILE` atomically (temp file + rename). */
export const WRITE_EXIT_SH = 'printf "%s\\n" "$code" > "$GF_EXIT_FILE.tmp" && mv -f "$GF_EXIT_FILE.tmp" "$GF_EXIT_FILE"';
