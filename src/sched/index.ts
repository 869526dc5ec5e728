import { UnknownNameError } from '../lib/errors.ts';
import { PolicyScheduler } from './core.ts';
import type { Policy } from './framework.ts';
import { easyBackfill } from './plugins/backfill.ts';
import { priorityPreempt, quotaReclaim } from './plugins/preempt.ts';
import { quotaAdmit } from './plugins/quota.ts';
import { fairShareSort, fifoSort, prioritySort, priorityFairSort } from './plugins/queue-sort.ts';
import type { Scheduler } from './types.ts';

export type { Scheduler } from './types.ts';
export { FreeIndex } from './free-index.ts';
export { placeGang, domainSpread } from './placement.ts';

/** Options for `createScheduler` (reserved for plug-in arguments; none needed yet). */
export type SchedulerOptions = Record<string, never>;

type PolicyFactory = () => Policy;

/**
 * Policies by name, each a small composition of plug-ins:
 * - fifo: arrival order, strict head-of-line blocking.
 * - priority-preempt: priority order; preempts lower-priority preemptible jobs (least lost work first).
 * - fair-share: weighted fair share across tenants, quotas with borrowing and reclaim; skips what does not fit.
 * - backfill: arrival order with EASY backfill (never delays the head job's reservation).
 * - default: priority classes, fair share within a class, quotas + reclaim, priority preemption, backfill.
 */
const REGISTRY = new Map<string, PolicyFactory>();

/** Adds a policy; a duplicate name is a bug. */
export function registerPolicy(name: string, factory: PolicyFactory): void {
  if (REGISTRY.has(name)) throw new Error(`scheduler policy "${name}" registered twice`);
  REGISTRY.set(name, factory);
}

registerPolicy('fifo', () => ({ name: 'fifo', sort: fifoSort, admit: [], preempt: [], strict: true }));
registerPolicy('priority-preempt', () => ({ name: 'priority-preempt', sort: prioritySort, admit: [], preempt: [priorityPreempt], strict: true }));
registerPolicy('fair-share', () => ({ name: 'fair-share', sort: fairShareSort, admit: [quotaAdmit], preempt: [quotaReclaim], strict: false }));
registerPolicy('backfill', () => ({ name: 'backfill', sort: fifoSort, admit: [], preempt: [], backfill: easyBackfill, strict: true }));
registerPolicy('default', () => ({
  name: 'default', sort: priorityFairSort, admit: [quotaAdmit], preempt: [quotaReclaim, priorityPreempt], backfill: easyBackfill, strict: true,
}));

/** Names accepted by `createScheduler`. */
export const SCHEDULER_POLICIES: readonly string[] = [...REGISTRY.keys()];

/** A scheduler for a policy name; unknown names throw UnknownNameError listing the known ones. */
export function createScheduler(policy: string, _options?: SchedulerOptions): Scheduler {
  const factory = REGISTRY.get(policy);
  if (!factory) throw new UnknownNameError('scheduler policy', policy, [...REGISTRY.keys()]);
  return new PolicyScheduler(factory());
}
