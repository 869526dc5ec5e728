import { gpusOf, SUCCESS, type AdmitPlugin, type CycleState, type Status } from '../framework.ts';
import type { SchedJob, TenantQuota } from '../types.ts';

/**
 * Per-tenant quota with borrowing (Kueue's cohort semantics, flattened to one cohort):
 * a tenant may use its guaranteed GPUs plus up to `borrowLimitGpus` of other tenants' idle
 * quota. Tenants without a quota entry have no guarantee and may borrow without limit.
 * Borrowed GPUs are what reclaim (preempt.ts) takes back.
 */
export function quotaOf(state: CycleState, tenant: string): TenantQuota {
  return state.quotas.get(tenant) ?? { tenant, guaranteedGpus: 0, borrowLimitGpus: Infinity, weight: 1 };
}

/** GPUs a tenant uses beyond its guarantee (0 when within it). */
export function borrowedGpus(state: CycleState, tenant: string): number {
  return Math.max(0, (state.usageGpus.get(tenant) ?? 0) - quotaOf(state, tenant).guaranteedGpus);
}

export function admitQuota(job: SchedJob, state: CycleState): Status {
  if (state.quotas.size === 0) return SUCCESS;
  const q = quotaOf(state, job.tenant);
  const used = state.usageGpus.get(job.tenant) ?? 0;
  const limit = q.guaranteedGpus + q.borrowLimitGpus;
  if (used + gpusOf(job) <= limit) return SUCCESS;
  return { code: 'unschedulable', plugin: 'admit/quota', reason: `tenant ${job.tenant} would use ${used + gpusOf(job)} GPUs; quota ${q.guaranteedGpus} + borrow ${q.borrowLimitGpus}` };
}

export const quotaAdmit = { name: 'admit/quota', admit: admitQuota } satisfies AdmitPlugin;
