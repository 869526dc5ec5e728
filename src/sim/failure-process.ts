import type { FailureCategory } from '../catalog/reliability.ts';
import type { Rng } from '../lib/rng.ts';
import { drawCategory, drawRepairSeconds, isHardware, makeNodePicker, nodeFailureRatePerSecond, type FailureModel } from './failures.ts';
import { URGENT, type Kernel } from './kernel.ts';

/**
 * What the failure process needs from whoever hosts the nodes (the simulator's Engine, or a
 * cluster on a real-time kernel): the nodes, whether each is up, taking one down and bringing it
 * back, interrupting what runs on it, and a clock to schedule on. The host decides what a
 * failure does to its jobs (spare swap, restart in place, requeue); the process decides when,
 * where and what fails, and how long a repair takes.
 */
export interface FailureTarget {
  /** The clock and event queue failures and repairs are scheduled on. */
  readonly kernel: Pick<Kernel, 'now' | 'schedule'>;
  /** Nodes that can fail: indices 0 .. nodeCount - 1. */
  readonly nodeCount: number;
  /** Whether a node is up now; a node that is down (or not provisioned) does not fail again. */
  isUp(node: number): boolean;
  /** A hardware failure takes `node` out of service until `bringUp`. */
  takeDown(node: number): void;
  /** The node is back from repair. */
  bringUp(node: number): void;
  /** The jobs on `node` are interrupted by `category` (`nodeLost`: the node went down with it). */
  interrupt(node: number, category: FailureCategory, nodeLost: boolean): void;
  /** Planned maintenance (firmware, kernel) strikes now; absent: the host has none. */
  plannedMaintenance?(): void;
}

/**
 * The failure side of the simulation: unexpected failures (Poisson per node, Llama 3 category
 * mix, lemon nodes), lognormal repairs, and the planned-maintenance process. All draws come
 * from `rng`, in event order, so a run is deterministic for a seed.
 */
export class FailureProcess {
  constructor(private readonly target: FailureTarget, private readonly model: FailureModel, private readonly rng: Rng) {}

  /** Starts the Poisson failure process over all nodes and, if the host has it, planned maintenance. */
  start(): void {
    const { target, model, rng } = this;
    const rate = nodeFailureRatePerSecond(model) * target.nodeCount;
    if (rate > 0) {
      const pick = makeNodePicker(model, target.nodeCount, rng);
      const next = (): void => {
        target.kernel.schedule(rng.exponential(1 / rate), () => { this.strike(pick(), drawCategory(rng)); next(); }, URGENT);
      };
      next();
    }
    const plannedRate = model.plannedInterruptionsPerDay / 86_400;
    if (plannedRate > 0 && target.plannedMaintenance) {
      const next = (): void => {
        target.kernel.schedule(rng.exponential(1 / plannedRate), () => { target.plannedMaintenance?.(); next(); }, URGENT);
      };
      next();
    }
  }

  /** A failure of `category` on `node`: hardware takes it down for a drawn repair time; its jobs are interrupted. */
  strike(node: number, category: FailureCategory): void {
    const { target } = this;
    if (!target.isUp(node)) return;
    const hw = isHardware(category);
    if (hw) {
      target.takeDown(node);
      target.kernel.schedule(drawRepairSeconds(this.model, this.rng), () => target.bringUp(node));
    }
    target.interrupt(node, category, hw);
  }
}
