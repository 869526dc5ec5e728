/**
 * How `gigafactory job` and `gigafactory logs -f` name a job's attempts and restarts. Only the
 * job's own failures count against max_restarts (src/sched/lifecycle/restarts.ts, as Slurm's
 * requeue); a node lost, a preemption or a control-plane restart requeues without counting, and
 * the words say which, so "restarts 0/3" on attempt 3 reads as what it is.
 */
import { ATTEMPT_OUTCOMES, countsAsRestart, type AttemptOutcome } from '../../sched/lifecycle/restarts.ts';

/** What the CLI reads of an attempt (GET /v1/jobs/ID `attempts[]`). */
export interface AttemptFields {
  readonly attempt: number;
  readonly outcome: string | null;
  /** The API's verdict (null while the attempt runs); absent from an older server: derived from the outcome. */
  readonly counts_as_restart?: boolean | null;
}

/** What the CLI reads of the job. */
export interface RestartFields {
  readonly attempt: number;
  readonly restarts: number;
  readonly max_restarts: number;
}

const counted = (a: AttemptFields): boolean =>
  a.counts_as_restart ?? ((ATTEMPT_OUTCOMES as readonly (string | null)[]).includes(a.outcome) && countsAsRestart(a.outcome as AttemptOutcome));

/** An attempt that ended and was followed by another (neither running, succeeded nor cancelled). */
const requeued = (a: AttemptFields): a is AttemptFields & { readonly outcome: string } => a.outcome !== null && a.outcome !== 'succeeded' && a.outcome !== 'cancelled';

/**
 * The line under a job's name: `attempt 3, restarts 1/3 (only the job's own failures count;
 * requeued without counting: 1 preempted)`.
 */
export function restartsLine(j: RestartFields, attempts: readonly AttemptFields[]): string {
  const free = new Map<string, number>();
  for (const a of attempts) if (requeued(a) && !counted(a)) free.set(a.outcome, (free.get(a.outcome) ?? 0) + 1);
  const requeues = [...free].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
  return `attempt ${j.attempt}, restarts ${j.restarts}/${j.max_restarts}${requeues ? ` (only the job's own failures count; requeued without counting: ${requeues})` : ''}`;
}

/** The RESTART cell of an attempt row: `counted` for the job's own failure, `not counted` for a requeue, empty otherwise. */
export function restartCell(a: AttemptFields): string {
  if (!requeued(a)) return '';
  return counted(a) ? 'counted' : 'not counted';
}

/**
 * The separator `logs -f` prints when a new attempt begins, naming why:
 * `--- job-1: attempt 2, after attempt 1 preempted (requeued, not counted; restarts 0/3) ---`.
 */
export function attemptHeader(id: string, j: RestartFields, attempts: readonly AttemptFields[]): string {
  const prev = attempts.find((a) => a.attempt === j.attempt - 1);
  if (!prev || prev.outcome === null) return `--- ${id}: attempt ${j.attempt} (restarts ${j.restarts}/${j.max_restarts}) ---\n`;
  const restartsSoFar = attempts.filter((a) => a.attempt <= prev.attempt && counted(a)).length;
  const why = counted(prev) ? `restart ${restartsSoFar}/${j.max_restarts}` : `requeued, not counted; restarts ${j.restarts}/${j.max_restarts}`;
  return `--- ${id}: attempt ${j.attempt}, after attempt ${prev.attempt} ${prev.outcome} (${why}) ---\n`;
}
