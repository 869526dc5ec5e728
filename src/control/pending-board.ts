/**
 * Why each queued job waits, as the last scheduling cycle explained it (Slurm's REASON column).
 * In memory only: the reconciler replaces it every cycle and the API reads it, so a restart
 * loses nothing that the next cycle does not recompute.
 */
import type { PendingReason } from '../sched/types.ts';

export class PendingBoard {
  private reasons: ReadonlyMap<string, PendingReason> = new Map();

  /** The whole board from one cycle (jobs absent are not waiting, or not explained). */
  replace(reasons: ReadonlyMap<string, PendingReason>): void { this.reasons = reasons; }

  get(jobId: string): PendingReason | undefined { return this.reasons.get(jobId); }
}
