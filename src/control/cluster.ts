/**
 * The live cluster the reconciler schedules onto: this machine as one or more local nodes
 * (`up --local-nodes N` splits it into N slots so multi-node jobs can run here), or any
 * topology (the bench uses a 12,500-node fleet). Also the admission check: a job that can
 * never fit is refused at submit, naming the field, instead of waiting forever.
 */
import type { HostInfo } from '../fleet/local.ts';
import { catalogGpuId } from '../fleet/local.ts';
import type { ClusterTopology } from '../fleet/types.ts';
import { ImpossibleError, InputError } from '../lib/errors.ts';
import type { TenantQuota } from '../sched/types.ts';
import type { JobSpec } from './job-spec.ts';

/** This machine as `nodes` local nodes (all named after it), sharing its GPUs evenly. */
export function localTopology(host: HostInfo, nodes = 1): ClusterTopology {
  const gpuType = host.gpus.length > 0 ? (catalogGpuId(host.gpus[0]!.name) ?? 'h100') : 'cpu';
  const gpus = Math.floor(host.gpus.length / nodes);
  return {
    leafCount: 1, spineCount: 1,
    nodes: Array.from({ length: nodes }, (_, index) => ({
      index, name: nodes === 1 ? host.hostname : `${host.hostname}-${index}`, gpuType: gpus > 0 ? gpuType : 'cpu', gpus,
      leaf: 0, spine: 0, pool: 'local', rented: false,
    })),
  };
}

/** Throws ImpossibleError when no placement could ever satisfy the spec on this cluster. */
export function checkAdmissible(spec: JobSpec, topology: ClusterTopology): void {
  const total = topology.nodes.length;
  if (spec.nodes > total) {
    throw new ImpossibleError(`nodes: ${spec.nodes} requested but this cluster has ${total} node(s)`, `ask for at most ${total} node(s), or start the control plane with more (gigafactory up --local-nodes N)`);
  }
  if (spec.gpu_type !== undefined && !topology.nodes.some((n) => n.gpuType === spec.gpu_type)) {
    const types = [...new Set(topology.nodes.map((n) => n.gpuType))].join(', ');
    throw new ImpossibleError(`gpu_type: ${spec.gpu_type} requested but this cluster's nodes have ${types}`, `ask for one of ${types}, or leave gpu_type out`);
  }
  if (spec.gpus_per_node > 0) {
    const fitting = topology.nodes.filter((n) => n.gpus >= spec.gpus_per_node && (spec.gpu_type === undefined || n.gpuType === spec.gpu_type)).length;
    const most = topology.nodes.reduce((m, n) => Math.max(m, n.gpus), 0);
    if (fitting < spec.nodes) {
      throw new ImpossibleError(`gpus_per_node: ${spec.gpus_per_node} requested on ${spec.nodes} node(s) but only ${fitting} node(s) have that many GPUs (most: ${most})`, most === 0 ? 'this machine has no GPU: use gpus_per_node: 0 (CPU ranks)' : `ask for at most ${most} GPU(s) per node`);
    }
  }
}

/** `TENANT=GPUS[:BORROW]` (BORROW default unlimited), as given to `up --quota`. */
export function parseQuota(text: string): TenantQuota {
  const m = /^([a-z0-9][a-z0-9-]{0,62})=([0-9]+)(?::([0-9]+|inf))?$/.exec(text);
  if (!m) throw new InputError({ field: '--quota', value: text, expected: 'TENANT=GPUS or TENANT=GPUS:BORROW_GPUS (e.g. research=64:32); BORROW may be inf' });
  const borrow = m[3] === undefined || m[3] === 'inf' ? Infinity : Number(m[3]);
  return { tenant: m[1]!, guaranteedGpus: Number(m[2]), borrowLimitGpus: borrow, weight: Math.max(1, Number(m[2])) };
}
