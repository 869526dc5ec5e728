/**
 * The job state machine, shared by every driver: the simulator (kernel clock), the live
 * reconciler (wall clock) and both stores (SQLite, PostgreSQL), which run `transition` inside
 * their transaction and write what it returns. Pure: no I/O, no clock; times come in the event.
 *
 *            start                 end(succeeded)
 *   queued --------> running ----------------------> succeeded
 *     ^  \             |  \        end(failed), restarts > max
 *     |   \ cancel     |   \-------------------------> failed
 *     |    \           |    end(*) after cancel / end(cancelled)
 *     |     \--------> | ----------------------------> cancelled
 *     |                |
 *     +----------------+  end(failed within max | node-lost | preempted | lost): requeue
 *
 * An event that does not apply is either a no-op (`unchanged`: a stale attempt's end, a second
 * cancel) or refused (`refused`: starting a job that is not queued), so retries are idempotent.
 */
import { countsAsRestart, type AttemptOutcome } from './restarts.ts';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** Every state, in lifecycle order (API enums, metrics series, query validation). */
export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
/** Takes any string so clients can test a state read from the API. */
export const isTerminal = (s: string): boolean => (TERMINAL_STATES as readonly string[]).includes(s);

/** What the state machine reads of a job. */
export interface LifecycleJob {
  readonly state: JobState;
  /** Attempts opened so far (the current one while running). */
  readonly attempt: number;
  /** Attempts that counted against `maxRestarts` (the job's own failures only). */
  readonly restarts: number;
  readonly maxRestarts: number;
  readonly cancelRequested: boolean;
}

export type LifecycleEvent =
  | { readonly type: 'start' }
  | { readonly type: 'end'; readonly attempt: number; readonly outcome: AttemptOutcome; readonly reason: string }
  | { readonly type: 'cancel' };

/** The job after a transition, plus the event to record and whether the job ended or its attempt closed. */
export interface Changed extends LifecycleJob {
  readonly kind: 'changed';
  /** The event log line's type and message (the store adds node ranges to a start). */
  readonly eventType: 'started' | 'requeued' | 'succeeded' | 'failed' | 'cancelled' | 'cancel-requested';
  readonly message: string;
  /** The job reached a terminal state now (stores set end_seconds). */
  readonly terminal: boolean;
  /** The current attempt closed with this outcome (stores close the attempt row). */
  readonly closedAttempt?: AttemptOutcome;
}
export type Transition =
  | Changed
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'refused'; readonly action: string };

/** One step of the job state machine. */
export function transition(job: LifecycleJob, e: LifecycleEvent): Transition {
  const base = { state: job.state, attempt: job.attempt, restarts: job.restarts, maxRestarts: job.maxRestarts, cancelRequested: job.cancelRequested };
  switch (e.type) {
    case 'start':
      if (job.state !== 'queued') return { kind: 'refused', action: 'start' };
      return { ...base, kind: 'changed', state: 'running', attempt: job.attempt + 1, eventType: 'started', message: `attempt ${job.attempt + 1}`, terminal: false };
    case 'cancel':
      if (job.state === 'queued') return { ...base, kind: 'changed', state: 'cancelled', eventType: 'cancelled', message: 'cancelled while queued', terminal: true };
      if (job.state === 'running' && !job.cancelRequested) return { ...base, kind: 'changed', cancelRequested: true, eventType: 'cancel-requested', message: 'stopping every rank', terminal: false };
      return { kind: 'unchanged' };
    case 'end': {
      if (job.state !== 'running' || job.attempt !== e.attempt) return { kind: 'unchanged' };
      const counts = countsAsRestart(e.outcome);
      const restarts = job.restarts + (counts ? 1 : 0);
      const state: JobState = e.outcome === 'succeeded' ? 'succeeded'
        : e.outcome === 'cancelled' || job.cancelRequested ? 'cancelled'
          : counts && restarts > job.maxRestarts ? 'failed' : 'queued';
      const what = state === 'queued'
        ? `requeued (${counts ? 'restart' : 'not counted, restarts'} ${restarts}/${job.maxRestarts})`
        : state;
      return {
        ...base, kind: 'changed', state, restarts, eventType: state === 'queued' ? 'requeued' : state,
        message: `attempt ${e.attempt} ${e.outcome}: ${e.reason}; ${what}`, terminal: state !== 'queued', closedAttempt: e.outcome,
      };
    }
  }
}
