/**
 * The recovery choice when a running job is interrupted: swap in a hot spare, restart in place,
 * or requeue; for the whole gang, or for one data-parallel replica while the others go on.
 * Shared by the simulator's failure process and the live reconciler.
 */

export type RecoveryMode = 'gang' | 'replica';

export interface RecoveryInput {
  /** The failed node is gone (hardware); false: a software fault, the node is still usable. */
  readonly nodeLost: boolean;
  /** GPUs of the interrupted job; only jobs of at least `spareMinGpus` get a spare. */
  readonly gpus: number;
  readonly spareMinGpus: number;
  readonly mode: RecoveryMode;
  /** The spare to use for the lost node (nearest, see spares.ts), or undefined when none is left. */
  readonly nearestSpare: () => number | undefined;
}

export type RecoveryAction =
  /** The lost node is replaced by `spare` and the job (or its replica) restarts at once. */
  | { readonly action: 'spare-swap'; readonly spare: number; readonly scope: RecoveryMode }
  /** Same nodes, restart from the last checkpoint (software fault). */
  | { readonly action: 'restart-in-place'; readonly scope: RecoveryMode }
  /** Gang: stop and requeue. Replica: the replica waits for its node's repair, the others go on. */
  | { readonly action: 'requeue'; readonly scope: RecoveryMode };

export function chooseRecovery(i: RecoveryInput): RecoveryAction {
  const spare = i.nodeLost && i.gpus >= i.spareMinGpus ? i.nearestSpare() : undefined;
  if (spare !== undefined) return { action: 'spare-swap', spare, scope: i.mode };
  if (!i.nodeLost) return { action: 'restart-in-place', scope: i.mode };
  return { action: 'requeue', scope: i.mode };
}
