/**
 * A queued job's reason while the plane rents: the scheduler sees only the nodes up now, so a
 * job waiting for capacity says Resources or NodeDown; while the provider has nodes on the way,
 * or its last launch was refused (OCI out of host capacity), the job says WaitingForRentedNodes
 * with the provider's words, as Slurm's REASON column shows why a job waits.
 */
import type { PendingReason } from '../sched/types.ts';
import type { ProviderStatus } from './provider.ts';

const CAPACITY_CODES: ReadonlySet<string> = new Set(['Resources', 'NodeDown', 'WaitingForRentedNodes']);

export function rentReason(r: PendingReason, status: ProviderStatus): PendingReason {
  if (!CAPACITY_CODES.has(r.code) || (status.provisioningNodes === 0 && status.problem === undefined)) return r;
  const parts = [r.message];
  if (status.provisioningNodes > 0) parts.push(`${status.provisioningNodes} rented node(s) provisioning`);
  if (status.problem !== undefined) parts.push(`the last rent request failed: ${status.problem}`);
  return { ...r, code: 'WaitingForRentedNodes', message: parts.join('; ') };
}
