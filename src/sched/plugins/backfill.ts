import type { BackfillGuard, BackfillPlugin, CycleState } from '../framework.ts';
import type { SchedJob } from '../types.ts';

/**
 * EASY backfill. The first blocked job (the head) gets a reservation: the earliest time at
 * which enough nodes free up, from running jobs' start + estimated runtime (the "shadow time"),
 * and the nodes left over then ("extra"). A later job may start now only if it fits now and
 * either ends (by its estimate) before the shadow time, or uses no more than the extra nodes,
 * so the head's reserved start never moves. Jobs without an estimate are never backfilled;
 * running jobs without one never end (so only the extra-nodes rule can apply, with extra = 0).
 */
export function reserve(head: SchedJob, state: CycleState): BackfillGuard {
  // Finite end times and node counts of running jobs, in reused typed arrays (hot path).
  let m = 0;
  const push = (end: number, nodes: number): void => {
    if (!Number.isFinite(end)) return;
    if (m === ends.length) { ends = grow(ends); counts = growInt(counts); }
    ends[m] = end; counts[m] = nodes; m++;
  };
  for (const r of state.view.running) {
    if (r.estimatedRuntimeSeconds !== undefined && !state.preemptedThisCycle.has(r.id)) push(r.startSeconds + r.estimatedRuntimeSeconds, r.nodeIndices.length);
  }
  for (const r of state.startedThisCycle) if (r.estimatedRuntimeSeconds !== undefined) push(r.startSeconds + r.estimatedRuntimeSeconds, r.nodeIndices.length);
  const need = head.nodes - state.free.totalFree;
  let shadowSeconds = Infinity;
  let extraNodes = 0;
  if (need <= 0) { shadowSeconds = state.nowSeconds; extraNodes = -need; } else {
    const t = weightedThreshold(ends, counts, m, need);
    if (t !== undefined) {
      let avail = state.free.totalFree;
      for (let i = 0; i < m; i++) if (ends[i]! <= t) avail += counts[i]!;
      shadowSeconds = Math.max(t, state.nowSeconds);
      extraNodes = avail - head.nodes;
    }
  }
  const guard = (job: SchedJob): boolean => {
    const est = job.estimatedRuntimeSeconds;
    if (est === undefined) return false;
    if (shadowSeconds !== Infinity && state.nowSeconds + est <= shadowSeconds) return true;
    if (job.nodes <= extraNodes) { extraNodes -= job.nodes; return true; }
    return false;
  };
  return Object.assign(guard, { shadowSeconds });
}

let ends: Float64Array = new Float64Array(1024);
let counts: Int32Array = new Int32Array(1024);
const grow = (a: Float64Array): Float64Array => { const b = new Float64Array(a.length * 2); b.set(a); return b; };
const growInt = (a: Int32Array): Int32Array => { const b = new Int32Array(a.length * 2); b.set(a); return b; };

/**
 * Smallest t with sum(counts[i] for ends[i] <= t) >= need, over the first m entries; undefined
 * if all of them are not enough. Weighted quickselect: expected O(m), no sort. Reorders the arrays.
 */
export function weightedThreshold(e: Float64Array, c: Int32Array, m: number, need: number): number | undefined {
  let lo = 0;
  let hi = m;
  let acc = 0;
  while (lo < hi) {
    const pivot = e[(lo + hi) >> 1]!;
    // Three-way partition of [lo, hi): < pivot | == pivot | > pivot.
    let lt = lo; let i = lo; let gt = hi;
    while (i < gt) {
      const v = e[i]!;
      if (v < pivot) { swap(e, c, lt++, i++); } else if (v > pivot) { swap(e, c, i, --gt); } else i++;
    }
    let less = 0;
    for (let k = lo; k < lt; k++) less += c[k]!;
    if (acc + less >= need) { hi = lt; continue; }
    let eq = 0;
    for (let k = lt; k < gt; k++) eq += c[k]!;
    if (acc + less + eq >= need) return pivot;
    acc += less + eq;
    lo = gt;
  }
  return undefined;
}

function swap(e: Float64Array, c: Int32Array, a: number, b: number): void {
  const te = e[a]!; e[a] = e[b]!; e[b] = te;
  const tc = c[a]!; c[a] = c[b]!; c[b] = tc;
}

export const easyBackfill = { name: 'backfill/easy', reserve } satisfies BackfillPlugin;
