/**
 * What a Slurm job's terminal state means for the attempt (Slurm's job state codes:
 * https://slurm.schedmd.com/job_state_codes.html):
 * - `node-fault`: NODE_FAIL (a node under it failed), BOOT_FAIL (a node failed to boot for it):
 *   the hardware's failure; the node is put in repair and the job requeued without counting.
 * - `preempted`: PREEMPTED (Slurm's own preemption gave its nodes to other work): requeued
 *   without counting; no node is at fault.
 * - `job`: COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY, DEADLINE, CANCELLED (by someone other than
 *   this plane, whose own cancels are stops) and anything else: the job's own end, told by its
 *   ranks' exit codes or Slurm's exit code; a non-zero one counts against max_restarts.
 */
export type SlurmEnd = 'node-fault' | 'preempted' | 'job';

const NODE_FAULT: ReadonlySet<string> = new Set(['NODE_FAIL', 'BOOT_FAIL']);

export function slurmEnd(state: string): SlurmEnd {
  if (NODE_FAULT.has(state)) return 'node-fault';
  if (state === 'PREEMPTED') return 'preempted';
  return 'job';
}
