import type { FailureCategory } from '../catalog/reliability.ts';
import { chooseRecovery, nearestSpare } from '../sched/lifecycle/index.ts';
import type { Engine } from './engine.ts';
import { drawCategory, drawRepairSeconds, isHardware, makeNodePicker, nodeFailureRatePerSecond } from './failures.ts';
import type { JobState } from './job-state.ts';
import { URGENT } from './kernel.ts';

/**
 * The failure side of the simulation: unexpected failures (Poisson per node, Llama 3 category
 * mix), repairs, hot-spare swaps, gang or replica recovery, and planned maintenance.
 */

/** Starts the Poisson failure process over all nodes and the planned-maintenance process. */
export function startFailures(e: Engine): void {
  const f = e.options.failures;
  const nodes = e.topology.nodes.length;
  const rate = nodeFailureRatePerSecond(f) * nodes;
  if (rate > 0) {
    const pick = makeNodePicker(f, nodes, e.rngFailures);
    const next = (): void => {
      e.kernel.schedule(e.rngFailures.exponential(1 / rate), () => {
        failNode(e, pick(), drawCategory(e.rngFailures));
        next();
      }, URGENT);
    };
    next();
  }
  const plannedRate = f.plannedInterruptionsPerDay / 86_400;
  if (plannedRate > 0) {
    const next = (): void => {
      e.kernel.schedule(e.rngFailures.exponential(1 / plannedRate), () => { plannedMaintenance(e); next(); }, URGENT);
    };
    next();
  }
}

/** A failure of `category` on `node`; nodes already down (or not rented now) do not fail again. */
export function failNode(e: Engine, node: number, category: FailureCategory): void {
  if (e.nodeUp[node] !== 1) return;
  const hw = isHardware(category);
  if (hw) {
    e.nodeUp[node] = 0;
    e.free.take(node);
    if (e.spares.delete(node)) { /* a spare failed: the pool shrinks until repair */ }
    e.kernel.schedule(drawRepairSeconds(e.options.failures, e.rngFailures), () => repair(e, node));
  }
  const ji = e.nodeJob[node]!;
  if (ji < 0) { if (hw) e.markDirty(); return; }
  const j = e.jobs[ji]!;
  e.unexpected++;
  j.interruptions++;
  e.interruptionsByCategory.set(category.id, (e.interruptionsByCategory.get(category.id) ?? 0) + 1);
  interrupt(e, j, node, hw);
}

/** Recovery of the job on a failed node: spare swap, restart in place, replica outage, or requeue. */
function interrupt(e: Engine, j: JobState, node: number, nodeLost: boolean): void {
  const replica = j.spec.recovery === 'replica' && j.replicas > 1;
  const rec = chooseRecovery({
    nodeLost, gpus: j.gpus, spareMinGpus: e.options.spareMinGpus, mode: replica ? 'replica' : 'gang',
    nearestSpare: () => nearestSpare(e.topology, e.spares, node),
  });
  if (rec.action === 'spare-swap') {
    const spare = rec.spare;
    e.spares.delete(spare);
    e.spareSwaps++;
    const idx = e.byId.get(j.spec.id)!;
    j.nodes[j.nodes.indexOf(node)] = spare;
    e.nodeJob[node] = -1;
    e.nodeJob[spare] = idx;
  }
  if (replica) {
    e.integrate(j);
    j.missingReplicas++;
    j.restarts++;
    e.scheduleFinish(j);
    // A replica rejoins after recovery, once it has a healthy node again (spare or repair).
    if (rec.action !== 'requeue') e.kernel.schedule(e.recoverySeconds(j, j.gpus / j.replicas), () => rejoin(e, j));
    return;
  }
  j.restarts++;
  if (rec.action !== 'requeue') {
    // The attempt ends and the next starts at once (on the spare, or in place): as the live plane logs it.
    e.onTransition?.(j.spec.id, 'queued', e.now, nodeLost ? 'node-lost' : 'failed');
    e.onTransition?.(j.spec.id, 'running', e.now);
    e.settle(j, 'unexpected');
    e.beginSegment(j, e.recoverySeconds(j, j.gpus));
    return;
  }
  // The node is gone and no spare: the gang stops now and is requeued once the failure is
  // detected (restart and reload are paid when it starts again).
  e.stop(j, 'unexpected');
  e.kernel.schedule(e.options.failures.detectionSeconds, () => { if (j.status === 'queued' && !e.pending.has(j.spec.id)) e.enqueue(j, 'node-lost'); });
}

function rejoin(e: Engine, j: JobState): void {
  if (j.status !== 'running' || j.missingReplicas === 0) return;
  e.integrate(j);
  j.missingReplicas--;
  e.scheduleFinish(j);
}

function repair(e: Engine, node: number): void {
  e.nodeUp[node] = 1;
  const ji = e.nodeJob[node]!;
  if (ji >= 0) {
    // Replica mode kept the node; its replica restarts on it now.
    const j = e.jobs[ji]!;
    e.kernel.schedule(e.recoverySeconds(j, j.gpus / j.replicas) - e.options.failures.detectionSeconds, () => rejoin(e, j));
    return;
  }
  if (e.spares.size < e.spareTarget && !e.topology.nodes[node]!.rented) e.spares.add(node);
  else { e.free.release(node); e.idleSince[node] = e.now; }
  e.markDirty();
}

/** Planned maintenance (firmware, kernel): the largest training job checkpoints, then restarts. */
function plannedMaintenance(e: Engine): void {
  let target: JobState | undefined;
  for (const j of e.running) if (j.spec.checkpoints && (!target || j.gpus > target.gpus)) target = j;
  if (!target || e.now < target.segStartSeconds) return;
  e.planned++;
  if (target.spec.recovery === 'replica' && target.replicas > 1) {
    e.integrate(target);
    target.segStartSeconds = e.now + e.recoverySeconds(target, target.gpus) - e.options.failures.detectionSeconds;
    target.integratedToSeconds = target.segStartSeconds;
    e.scheduleFinish(target);
    return;
  }
  e.settle(target, 'planned');
  e.beginSegment(target, e.recoverySeconds(target, target.gpus) - e.options.failures.detectionSeconds);
}
