/**
 * The REASON cell of `gigafactory jobs`, as Slurm's squeue REASON column: a queued job's code
 * (with, for the head of the queue, when it should start), a finished job's end; a running job
 * has none (the reason its last attempt ended is in `gigafactory job ID`).
 */
export interface JobReasonFields {
  readonly state: string;
  readonly reason: string | null;
  readonly reason_code?: string | null;
  readonly estimated_start?: string | null;
}

export function jobsReasonCell(j: JobReasonFields): string {
  if (j.state === 'running') return '';
  if (j.state === 'queued' && j.reason_code) {
    return j.estimated_start ? `${j.reason_code}, start by ${j.estimated_start.slice(0, 19).replace('T', ' ')}` : j.reason_code;
  }
  return (j.reason ?? '').slice(0, 60);
}
