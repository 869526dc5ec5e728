/**
 * Which queued jobs wait for rented nodes, as each pending job has its own REASON in Slurm:
 * pure, run by the driver after the cycle's rent decision (so the nodes just asked for count).
 * The nodes on the way are handed out in the scheduler's order (the order of `pending`, as the
 * cycle explained it), as they will be when they join: each job waiting on capacity (Resources,
 * NodeDown, or Priority behind a blocked job) that they still cover says WaitingForRentedNodes.
 * A job they do not cover keeps its reason, unless the provider's last request was refused
 * (OCI out of host capacity): then a job waiting on capacity says WaitingForRentedNodes with the
 * provider's words, since the plane keeps asking. A job over its quota is not helped by renting.
 */
import type { PendingCode, PendingReason } from '../types.ts';

/** What the rented pool is doing: nodes asked for and not joined yet, and the last refusal. */
export interface RentWait {
  readonly provisioningNodes: number;
  readonly problem?: string;
}

/** Reasons of jobs that wait for capacity (renting would serve them). */
const CAPACITY: ReadonlySet<PendingCode> = new Set(['Resources', 'NodeDown', 'Priority']);
/** Reasons a refused rent request rewrites (the jobs that are next in line for capacity). */
const NEXT_IN_LINE: ReadonlySet<PendingCode> = new Set(['Resources', 'NodeDown']);

/**
 * `pending`: the cycle's reasons in the scheduler's order; `nodesOf`: the nodes a queued job
 * needs. Returns the reasons with the jobs the rented pool serves marked; the others unchanged.
 */
export function rentWaitReasons(pending: ReadonlyMap<string, PendingReason>, nodesOf: (jobId: string) => number, wait: RentWait): ReadonlyMap<string, PendingReason> {
  if (wait.provisioningNodes <= 0 && wait.problem === undefined) return pending;
  const refused = wait.problem !== undefined ? `; the last rent request failed: ${wait.problem}` : '';
  let leftNodes = wait.provisioningNodes;
  const out = new Map<string, PendingReason>();
  for (const [id, r] of pending) {
    const need = nodesOf(id);
    if (CAPACITY.has(r.code) && need <= leftNodes) {
      leftNodes -= need;
      out.set(id, { ...r, code: 'WaitingForRentedNodes', message: `${r.message}; ${wait.provisioningNodes} rented node(s) joining, ${need} of them for this job${refused}` });
    } else if (refused && NEXT_IN_LINE.has(r.code)) {
      out.set(id, { ...r, code: 'WaitingForRentedNodes', message: `${r.message}${refused}` });
    } else out.set(id, r);
  }
  return out;
}
