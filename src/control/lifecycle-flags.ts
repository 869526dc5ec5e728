/**
 * `gigafactory up`'s lifecycle flags (hot spares), parsed at the edge: an error names the flag,
 * the value and what is accepted.
 */
import { InputError } from '../lib/errors.ts';
import { DEFAULT_FAILURE_MODEL, sparesNeeded } from '../sim/failures.ts';

/** `auto` sizes the pool over this horizon: long past the repair time, so it is the steady state. */
const AUTO_HORIZON_SECONDS = 30 * 86_400;

export type SparesFlag = number | 'auto';

/** `--spares N|auto`. */
export function parseSpares(v: string | undefined): SparesFlag {
  if (v === undefined || v === '0') return 0;
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 12_500) throw new InputError({ field: '--spares', value: v, expected: 'a whole number of nodes from 0 to 12,500, or auto' });
  return n;
}

/** `--spare-min-gpus G`: only gangs of at least G GPUs get a spare. */
export function parseSpareMinGpus(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InputError({ field: '--spare-min-gpus', value: v, expected: 'a whole number of GPUs >= 0' });
  return n;
}

/**
 * Spare nodes for a cluster of `nodes`: `auto` is the simulator's rule (the 99th percentile of
 * nodes in repair at once, from the catalog's failure rate and repair times), capped at a tenth
 * of the cluster so a small one is not all spares.
 */
export function resolveSpares(spares: SparesFlag, nodes: number): number {
  if (spares !== 'auto') return Math.min(spares, Math.max(0, nodes - 1));
  return Math.min(sparesNeeded(DEFAULT_FAILURE_MODEL, nodes, AUTO_HORIZON_SECONDS), Math.floor(nodes / 10));
}
