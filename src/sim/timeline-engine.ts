import type { Engine } from './engine.ts';
import type { NodeCounts, TimelineSource } from './timeline.ts';

/**
 * The one adapter from the simulator's Engine to the timeline sampler (timeline.ts), over the
 * Engine's read-only views: O(1) per sample, except the productive GPUs (O(running jobs)). In
 * the simulator a node is down only while in repair, so `down` is always 0 here. `ownedGpus`:
 * the fleet's own GPUs, as the report counts them (hot spares added beyond the fleet excluded);
 * rented nodes add their GPUs while held.
 */
export function engineTimelineSource(engine: Engine, ownedGpus: number): TimelineSource {
  const gpusPerRentedNode = engine.topology.nodes.find((n) => n.rented)?.gpus ?? 0;
  return {
    runningJobs: () => engine.runningCount,
    pendingJobs: () => engine.pendingCount,
    nodes(): NodeCounts {
      const c = engine.nodeCounts;
      return { up: c.up - c.spare, down: 0, repair: c.inRepair, spare: c.spare };
    },
    gpusCapacity: () => ownedGpus + engine.nodeCounts.rentedHeld * gpusPerRentedNode,
    gpusAllocated: () => engine.allocatedGpus,
    gpusProductive: (nowSeconds) => engine.productiveGpus(nowSeconds),
    rentedNodes: () => engine.nodeCounts.rentedHeld,
    interruptionsByCategory: () => engine.interruptionsByCategory,
  };
}
