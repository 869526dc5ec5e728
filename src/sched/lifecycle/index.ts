/**
 * The job lifecycle, pure and clock-free: one module driven by the simulator (kernel clock)
 * and the live control plane (wall clock). State machine, what counts as a restart, recovery
 * choice, rent and release, tenant usage. The free-capacity index is ../free-index.ts.
 */
export { transition, isTerminal, JOB_STATES, TERMINAL_STATES, type JobState, type LifecycleJob, type LifecycleEvent, type Transition, type Changed } from './state-machine.ts';
export { countsAsRestart, outcomeOfExit, ATTEMPT_OUTCOMES, type AttemptOutcome } from './restarts.ts';
export { chooseRecovery, type RecoveryAction, type RecoveryInput, type RecoveryMode } from './recovery.ts';
export { TenantUsage } from './usage.ts';
export { rentDecision, rentDecisions, RENT_REASON, type RentDecision, type RentInput } from '../rent-policy.ts';
export { rentWaitReasons, type RentWait } from './rent-wait.ts';
export { nearestSpare } from '../spares.ts';
