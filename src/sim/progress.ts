/**
 * Progress of a checkpointing job within one run segment, by arithmetic instead of one event per
 * checkpoint: after `segStartSeconds` the job alternates `intervalSeconds` of compute with a
 * blocking save of `saveSeconds`. Work is counted in productive seconds (seconds of compute at
 * full speed).
 */
export interface Segment {
  readonly segStartSeconds: number;
  readonly intervalSeconds: number;
  readonly saveSeconds: number;
}

/** Work computed and work saved by checkpoints at time t (both 0 before the segment starts). */
export function workAt(seg: Segment, tSeconds: number): { savedSeconds: number; doneSeconds: number; lastCheckpointSeconds: number } {
  const e = tSeconds - seg.segStartSeconds;
  if (e <= 0) return { savedSeconds: 0, doneSeconds: 0, lastCheckpointSeconds: seg.segStartSeconds };
  const tau = seg.intervalSeconds;
  if (!Number.isFinite(tau)) return { savedSeconds: 0, doneSeconds: e, lastCheckpointSeconds: seg.segStartSeconds };
  const cycle = tau + seg.saveSeconds;
  const c = Math.floor(e / cycle);
  const partial = Math.min(tau, e - c * cycle);
  return { savedSeconds: c * tau, doneSeconds: c * tau + partial, lastCheckpointSeconds: seg.segStartSeconds + c * cycle };
}

/** `workAt(seg, t).lastCheckpointSeconds` without building the object (the scheduler reads it per running job). */
export function lastCheckpointAt(seg: Segment, tSeconds: number): number {
  const e = tSeconds - seg.segStartSeconds;
  const tau = seg.intervalSeconds;
  if (e <= 0 || !Number.isFinite(tau)) return seg.segStartSeconds;
  const cycle = tau + seg.saveSeconds;
  return seg.segStartSeconds + Math.floor(e / cycle) * cycle;
}

/** Wall time to compute `workSeconds` more from the segment start, saving along the way (no save at the end). */
export function wallSecondsFor(seg: Segment, workSeconds: number): number {
  if (workSeconds <= 0) return 0;
  const tau = seg.intervalSeconds;
  if (!Number.isFinite(tau)) return workSeconds;
  const saves = Math.max(0, Math.ceil(workSeconds / tau) - 1);
  return workSeconds + saves * seg.saveSeconds;
}
