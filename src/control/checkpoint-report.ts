/**
 * The checkpoint report contract: rank 0 gets `GF_CHECKPOINT_DONE_FILE` and writes or touches
 * it after each checkpoint it has completed (saved and flushed). The file's modification time
 * is the job's last checkpoint; the plane reads it to charge the work a preemption or a failure
 * loses, and picks preemption victims that lose the least. One file per job, kept across
 * attempts; a time before the current attempt started does not count for that attempt.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { jobDir, type JobRef } from './layout.ts';

export const CHECKPOINT_DONE_ENV = 'GF_CHECKPOINT_DONE_FILE';

export const checkpointDoneFile = (dataDir: string, job: JobRef): string => join(jobDir(dataDir, job), 'checkpoint-done');

/** Newest modification time (seconds) of anything in a dir, or undefined (for jobs that do not report). */
export function newestMtimeSeconds(dir: string): number | undefined {
  let newest: number | undefined;
  try {
    for (const name of readdirSync(dir)) {
      const t = statSync(join(dir, name)).mtimeMs / 1000;
      if (newest === undefined || t > newest) newest = t;
    }
  } catch { /* no checkpoint yet */ }
  return newest;
}
