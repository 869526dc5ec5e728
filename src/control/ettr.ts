/**
 * Effective training time ratio (ETTR) of a live job, from its attempts: the share of wall
 * time since its first attempt started that went into work that was kept. Time lost is the
 * gaps between attempts (queued again, restarting) plus each ended attempt's lost work
 * (seconds since its last checkpoint). Pure: the caller passes `nowSeconds`. The planner's
 * expected ETTR (src/plan/goodput.ts) is the forecast this is measured against. Its seconds are
 * the cluster's (`clusterSpeed`, ./cluster-time.ts), as the attempts' `lostSeconds` are.
 */
import { clusterSecondsOf } from './cluster-time.ts';
import type { AttemptRecord } from './store/types.ts';

export interface JobEttr {
  /** 0..1; undefined before the first attempt starts. */
  readonly ettr: number | undefined;
  /** Elapsed since the first attempt started (cluster seconds; the name is the API's). */
  readonly wallSeconds: number;
  readonly productiveSeconds: number;
  readonly lostWorkSeconds: number;
}

export function jobEttr(attempts: readonly Pick<AttemptRecord, 'startSeconds' | 'endSeconds' | 'lostSeconds'>[], nowSeconds: number, clusterSpeed = 1): JobEttr {
  if (attempts.length === 0) return { ettr: undefined, wallSeconds: 0, productiveSeconds: 0, lostWorkSeconds: 0 };
  let first = Infinity;
  let last = -Infinity;
  let ran = 0;
  let lost = 0;
  for (const a of attempts) {
    const end = a.endSeconds ?? nowSeconds;
    first = Math.min(first, a.startSeconds);
    last = Math.max(last, end);
    ran += clusterSecondsOf(Math.max(0, end - a.startSeconds), clusterSpeed);
    lost += a.lostSeconds ?? 0;
  }
  const elapsed = clusterSecondsOf(Math.max(0, last - first), clusterSpeed);
  const productive = Math.max(0, ran - lost);
  return { ettr: elapsed > 0 ? Math.min(1, productive / elapsed) : undefined, wallSeconds: elapsed, productiveSeconds: productive, lostWorkSeconds: lost };
}
