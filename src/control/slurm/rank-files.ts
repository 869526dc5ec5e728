/**
 * What the ranks' own files say about an attempt (the wrapper in script.ts writes
 * `rank-R.exit`; ranks touch `rank-R.heartbeat`). Slurm reports one state for the whole job;
 * these files tell which rank failed first, with which code, and which one hangs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { rankExitFile, rankHeartbeatFile } from './script.ts';

/** Every rank recorded exit code 0. */
export function allRanksSucceeded(logDir: string, ranks: number): boolean {
  for (let r = 0; r < ranks; r++) {
    try { if (readFileSync(rankExitFile(logDir, r), 'utf8').trim() !== '0') return false; } catch { return false; }
  }
  return true;
}

/** The first rank to exit non-zero (by exit-file time; the others were then killed), if any. */
export function firstFailedRank(logDir: string, ranks: number): { rank: number; code: number } | undefined {
  let best: { rank: number; code: number; ms: number } | undefined;
  for (let r = 0; r < ranks; r++) {
    const f = rankExitFile(logDir, r);
    if (!existsSync(f)) continue;
    const code = Number.parseInt(readFileSync(f, 'utf8').trim(), 10);
    if (code === 0) continue;
    const ms = statSync(f).mtimeMs;
    if (best === undefined || ms < best.ms) best = { rank: r, code: Number.isFinite(code) ? code : 1, ms };
  }
  return best;
}

/** A still-running rank whose heartbeat file was not touched for `timeoutSeconds` since the job started. */
export function hungRank(logDir: string, ranks: number, timeoutSeconds: number, runningSinceMs: number, nowMs: number): number | undefined {
  for (let r = 0; r < ranks; r++) {
    if (existsSync(rankExitFile(logDir, r))) continue;
    let touchedMs = 0;
    try { touchedMs = statSync(rankHeartbeatFile(logDir, r)).mtimeMs; } catch { /* never touched */ }
    if (nowMs - Math.max(touchedMs, runningSinceMs) > timeoutSeconds * 1000) return r;
  }
  return undefined;
}
