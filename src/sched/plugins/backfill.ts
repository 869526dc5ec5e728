import type { BackfillPlugin, CycleState } from '../framework.ts';
import type { SchedJob } from '../types.ts';

/**
 * EASY backfill. The first blocked job (the head) gets a reservation: the earliest time at
 * which enough nodes free up, from running jobs' start + estimated runtime (the "shadow time"),
 * and the nodes left over then ("extra"). A later job may start now only if it fits now and
 * either ends (by its estimate) before the shadow time, or uses no more than the extra nodes,
 * so the head's reserved start never moves. Jobs without an estimate are never backfilled;
 * running jobs without one never end (so only the extra-nodes rule can apply, with extra = 0).
 */
export function reserve(head: SchedJob, state: CycleState): (job: SchedJob) => boolean {
  const ends: { end: number; nodes: number }[] = [];
  for (const r of state.running.values()) {
    const est = r.estimatedRuntimeSeconds;
    ends.push({ end: est === undefined ? Infinity : r.startSeconds + est, nodes: r.nodeIndices.length });
  }
  ends.sort((a, b) => a.end - b.end);
  let avail = state.free.totalFree;
  let shadowSeconds = Infinity;
  let extraNodes = 0;
  for (const e of ends) {
    if (e.end === Infinity) break;
    avail += e.nodes;
    if (avail >= head.nodes) { shadowSeconds = Math.max(e.end, state.nowSeconds); extraNodes = avail - head.nodes; break; }
  }
  return (job) => {
    const est = job.estimatedRuntimeSeconds;
    if (est === undefined) return false;
    if (state.nowSeconds + est <= shadowSeconds && shadowSeconds !== Infinity) return true;
    if (job.nodes <= extraNodes) { extraNodes -= job.nodes; return true; }
    return false;
  };
}

export const easyBackfill = { name: 'backfill/easy', reserve } satisfies BackfillPlugin;
