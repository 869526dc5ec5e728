import type { Engine } from './engine.ts';
import type { RentedNow } from './rent.ts';
import type { NodeCounts, TimelineSource } from './timeline.ts';

/**
 * The one adapter from the simulator's Engine to the timeline sampler (timeline.ts). Per sample
 * it walks the nodes once (a typed-array pass) and the running jobs once. In the simulator a
 * node is down only while in repair, so `down` is always 0 here. `ownedGpus`: the fleet's own
 * GPUs, as the report counts them (hot spares added beyond the fleet excluded).
 */
export function engineTimelineSource(engine: Engine, ownedGpus: number, renting?: RentedNow): TimelineSource {
  const n = engine.topology.nodes.length;
  const rented = new Uint8Array(n);
  const gpusPerNode = new Uint16Array(n);
  for (const node of engine.topology.nodes) { rented[node.index] = node.rented ? 1 : 0; gpusPerNode[node.index] = node.gpus; }
  const isRented = renting?.isRented ?? (() => false);
  return {
    runningJobs: () => engine.running.size,
    pendingJobs: () => engine.pending.size,
    nodes(): NodeCounts {
      // Hot spares are always up nodes (a failed spare leaves the set until repaired).
      let usable = 0; let repair = 0;
      const nodeUp = engine.nodeUp;
      for (let i = 0; i < n; i++) {
        if (rented[i] === 1 && !isRented(i)) continue;
        if (nodeUp[i] === 1) usable++;
        else repair++;
      }
      const spare = engine.spares.size;
      const up = usable - spare;
      return { up, down: 0, repair, spare };
    },
    gpusCapacity(): number {
      if (!renting) return ownedGpus;
      let gpus = ownedGpus;
      for (let i = 0; i < n; i++) if (rented[i] === 1 && isRented(i)) gpus += gpusPerNode[i]!;
      return gpus;
    },
    gpusAllocated(): number {
      let gpus = 0;
      for (const j of engine.running) gpus += j.gpus;
      return gpus;
    },
    gpusProductive(nowSeconds: number): number {
      let gpus = 0;
      for (const j of engine.running) {
        if (nowSeconds < j.segStartSeconds) continue; // restarting or reloading its checkpoint
        gpus += j.replicas > 1 ? (j.gpus * (j.replicas - j.missingReplicas)) / j.replicas : j.gpus;
      }
      return gpus;
    },
    rentedNodes: () => renting?.rentedNodes() ?? 0,
    interruptionsByCategory: () => engine.interruptionsByCategory,
  };
}
