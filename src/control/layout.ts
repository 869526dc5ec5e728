/**
 * The data-folder layout, in one place. Every path the control plane, its executors and its
 * API use under `--data-dir` comes from here:
 *
 *   <data-dir>/                     0711: the plane's; others may pass through, never list
 *     gigafactory.db                0600  SQLite store (unless --store postgres://...)
 *     admin-token                   0600  the first admin token
 *     plane-id                      0600  this plane's random id (GF_PLANE_ID of its processes)
 *     up.pid  server.json                 lock of the running `up`, where the CLI finds it
 *     single-tenant                 0600  single-user mode only: the one tenant served
 *     tenants/                      0711
 *       <tenant>/                   0700, owned by the tenant's Unix user: its own area
 *         jobs/<job-id>/
 *           checkpoints/                  default checkpoint_dir (GF_CHECKPOINT_DIR)
 *           progress.log                  rank 0's progress reports (GF_PROGRESS_FILE)
 *           attempt-<n>/                  per-attempt logs: rank-R.log, rank-R.exit, rank-R.heartbeat
 *
 * Paths are absolute: the data dir is resolved once at `up`, job paths once at the API.
 */
import { isAbsolute, join, resolve } from 'node:path';

export const storePath = (dataDir: string): string => join(dataDir, 'gigafactory.db');
export const adminTokenPath = (dataDir: string): string => join(dataDir, 'admin-token');
export const planeIdPath = (dataDir: string): string => join(dataDir, 'plane-id');
export const lockPath = (dataDir: string): string => join(dataDir, 'up.pid');
export const serverInfoPath = (dataDir: string): string => join(dataDir, 'server.json');
/** In single-user mode: the one tenant this plane serves. */
export const singleTenantPath = (dataDir: string): string => join(dataDir, 'single-tenant');

export const tenantsDir = (dataDir: string): string => join(dataDir, 'tenants');
/** A tenant's own area: the default workdir and where its jobs' logs and checkpoints live. */
export const tenantDir = (dataDir: string, tenant: string): string => join(tenantsDir(dataDir), tenant);

/** What the layout needs of a job. */
export interface JobRef { readonly id: string; readonly tenant: string }

export const jobDir = (dataDir: string, job: JobRef): string => join(tenantDir(dataDir, job.tenant), 'jobs', job.id);
export const attemptLogDir = (dataDir: string, job: JobRef, attempt: number): string => join(jobDir(dataDir, job), `attempt-${attempt}`);
/** Where rank 0 reports progress (GF_PROGRESS_FILE; the contract is in progress.ts): one file per job, across attempts. */
export const progressFile = (dataDir: string, job: JobRef): string => join(jobDir(dataDir, job), 'progress.log');

/** The checkpoint dir of a job: its spec's (absolute since the API made it so), else `<job dir>/checkpoints`. */
export function checkpointDirOf(dataDir: string, job: JobRef & { readonly spec: { readonly checkpoint_dir?: string | undefined; readonly workdir?: string | undefined } }): string {
  const dir = job.spec.checkpoint_dir;
  if (dir === undefined) return join(jobDir(dataDir, job), 'checkpoints');
  // Jobs stored before paths were made absolute at the API: resolve against their workdir.
  return isAbsolute(dir) ? dir : resolve(job.spec.workdir ?? tenantDir(dataDir, job.tenant), dir);
}

// Per-rank files of an attempt (written by the rank wrapper, read by the executors).
export const rankLogFile = (logDir: string, rank: number | string): string => join(logDir, `rank-${rank}.log`);
export const rankExitFile = (logDir: string, rank: number | string): string => join(logDir, `rank-${rank}.exit`);
export const rankHeartbeatFile = (logDir: string, rank: number | string): string => join(logDir, `rank-${rank}.heartbeat`);
