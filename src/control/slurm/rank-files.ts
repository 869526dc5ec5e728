/**
 * What the ranks' own files say about an attempt (the wrapper in script.ts writes
 * `rank-R.exit` atomically; ranks touch `rank-R.heartbeat`). Slurm reports one state for the whole job;
 * these files tell which rank failed first, with which code, and which one hangs.
 */
import { existsSync, lstatSync } from 'node:fs';
import { readRankExit } from '../exit-files.ts';
import { rankExitFile, rankHeartbeatFile } from './script.ts';

/** Every rank recorded exit code 0. */
export function allRanksSucceeded(logDir: string, ranks: number): boolean {
  for (let r = 0; r < ranks; r++) if (readRankExit(logDir, r)?.code !== 0) return false;
  return true;
}

/** The first rank to exit non-zero (by exit-file time; the others were then killed), if any. */
export function firstFailedRank(logDir: string, ranks: number): { rank: number; code: number } | undefined {
  let best: { rank: number; code: number; ms: number } | undefined;
  for (let r = 0; r < ranks; r++) {
    const exit = readRankExit(logDir, r);
    if (exit === undefined || exit.code === 0) continue;
    if (best === undefined || exit.mtimeMs < best.ms) best = { rank: r, code: exit.code, ms: exit.mtimeMs };
  }
  return best;
}

/** A still-running rank whose heartbeat file was not touched for `timeoutSeconds` since the job started. */
export function hungRank(logDir: string, ranks: number, timeoutSeconds: number, runningSinceMs: number, nowMs: number): number | undefined {
  for (let r = 0; r < ranks; r++) {
    if (existsSync(rankExitFile(logDir, r))) continue;
    let touchedMs = 0;
    try { touchedMs = lstatSync(rankHeartbeatFile(logDir, r)).mtimeMs; } catch { /* never touched */ }
    if (nowMs - Math.max(touchedMs, runningSinceMs) > timeoutSeconds * 1000) return r;
  }
  return undefined;
}
