/**
 * The state of each node as the control plane sees it, in the shape of GET /v1/nodes' rows:
 * `down` when the executor reports it unusable (Slurm DOWN/DRAINED, a simulated repair),
 * `rented` for an up node of a rented pool, else `up`; GPUs in use come from running jobs.
 * Metrics and the dashboard count these; richer states (draining, spare, in repair) come from
 * the lifecycle when it reports them.
 */
import type { ClusterTopology } from '../fleet/types.ts';
import type { JobRecord } from './store/types.ts';

export type NodeStateName = 'up' | 'down' | 'draining' | 'spare' | 'rented' | 'repair' | 'unrented';

export interface NodeStatus {
  readonly name: string;
  readonly state: NodeStateName | string;
  readonly reason?: string;
  readonly gpus: number;
  readonly gpusInUse: number;
  readonly pool: string;
}

export function deriveNodeStatus(topology: ClusterTopology, running: readonly Pick<JobRecord, 'nodeIndices' | 'spec'>[], nodeUp: (name: string) => boolean): NodeStatus[] {
  const inUse = new Float64Array(topology.nodes.length);
  for (const j of running) for (const i of j.nodeIndices) inUse[i] = (inUse[i] ?? 0) + j.spec.gpus_per_node;
  return topology.nodes.map((n) => {
    const up = nodeUp(n.name);
    return { name: n.name, state: !up ? 'down' : n.rented ? 'rented' : 'up', gpus: n.gpus, gpusInUse: Math.min(n.gpus, inUse[n.index] ?? 0), pool: n.pool };
  });
}

/** Nodes and GPUs by state: `gpus` splits into in_use, idle (on usable nodes) and down. */
export function summarizeNodes(nodes: readonly NodeStatus[]): { nodesByState: Map<string, number>; gpusByState: Map<string, number> } {
  const nodesByState = new Map<string, number>();
  const gpusByState = new Map<string, number>([['in_use', 0], ['idle', 0], ['down', 0]]);
  for (const n of nodes) {
    nodesByState.set(n.state, (nodesByState.get(n.state) ?? 0) + 1);
    // A drained node's GPUs take no work: they count with the down ones, not as idle capacity.
    // A rent-pool node not rented now is no capacity at all: neither idle nor down.
    if (n.state === 'unrented') continue;
    if (n.state === 'down' || n.state === 'repair' || n.state === 'drained') gpusByState.set('down', gpusByState.get('down')! + n.gpus);
    else {
      gpusByState.set('in_use', gpusByState.get('in_use')! + n.gpusInUse);
      gpusByState.set('idle', gpusByState.get('idle')! + n.gpus - n.gpusInUse);
    }
  }
  return { nodesByState, gpusByState };
}
