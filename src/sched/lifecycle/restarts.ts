/**
 * What counts as a restart. As with Slurm's requeue, only the job's own failures count against
 * `max_restarts`; the infrastructure's (a node lost, a preemption, a control-plane restart)
 * requeue the job without counting. Each attempt records its outcome, so the cause stays visible.
 */

/**
 * How an attempt ended:
 * - `succeeded`: every rank exited 0.
 * - `failed`: the job's own failure (non-zero exit, hung past its heartbeat timeout, launch error).
 * - `node-lost`: a node under it went down (hardware, NODE_FAIL).
 * - `preempted`: the scheduler stopped it for other work.
 * - `cancelled`: a user cancelled it.
 * - `lost`: the control plane restarted and its processes were gone (or never started).
 */
export type AttemptOutcome = 'succeeded' | 'failed' | 'node-lost' | 'preempted' | 'cancelled' | 'lost';

export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['succeeded', 'failed', 'node-lost', 'preempted', 'cancelled', 'lost'];

/** True only for the job's own failures. */
export function countsAsRestart(outcome: AttemptOutcome): boolean {
  return outcome === 'failed';
}

/**
 * The outcome of an executor's report: an exit code, or an infrastructure failure with or
 * without a lost node, or a preemption by the executor's own scheduler (Slurm's PREEMPTED).
 */
export function outcomeOfExit(e: { readonly type: 'exited'; readonly exitCode: number } | { readonly type: 'failed'; readonly nodeLost?: string; readonly preempted?: boolean }): AttemptOutcome {
  if (e.type === 'exited') return e.exitCode === 0 ? 'succeeded' : 'failed';
  if (e.preempted === true) return 'preempted';
  return e.nodeLost !== undefined ? 'node-lost' : 'failed';
}
