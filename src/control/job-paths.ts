/**
 * Where a job's files live in the data dir: `<dataDir>/jobs/<id>/` holds each attempt's rank
 * logs (`attempt-N/`), the default checkpoint dir and the checkpoint report file.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { JobRecord } from './store/types.ts';

export const jobDir = (dataDir: string, jobId: string): string => join(dataDir, 'jobs', jobId);
/** Where rank 0 reports progress (GF_PROGRESS_FILE; the contract is in progress.ts): one file per job, across attempts. */
export const progressFile = (dataDir: string, jobId: string): string => join(jobDir(dataDir, jobId), 'progress.log');
export const attemptLogDir = (dataDir: string, jobId: string, attempt: number): string => join(jobDir(dataDir, jobId), `attempt-${attempt}`);

/** The job's checkpoint dir: its spec's (relative to its workdir), else `<jobDir>/checkpoints`. */
export function checkpointDirOf(dataDir: string, job: Pick<JobRecord, 'id' | 'spec'>): string {
  const dir = job.spec.checkpoint_dir;
  if (dir === undefined) return join(jobDir(dataDir, job.id), 'checkpoints');
  return isAbsolute(dir) ? dir : resolve(job.spec.workdir ?? process.cwd(), dir);
}
