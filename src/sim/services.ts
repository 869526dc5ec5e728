import { desiredReplicas } from '../sched/autoscale.ts';
import type { Engine } from './engine.ts';
import type { JobView } from './job-state.ts';
import type { ServiceSpec } from './types.ts';

/** Seconds between two autoscaling decisions. */
export const AUTOSCALE_SECONDS = 900;

/** Demand of a service at time t: a cosine daily curve between trough and peak. */
export function demandAt(s: ServiceSpec, tSeconds: number): number {
  const hour = (tSeconds / 3600) % 24;
  const phase = (1 + Math.cos((2 * Math.PI * (hour - s.peakHour)) / 24)) / 2;
  return s.peakOutputTokensPerSecond * (s.troughFraction + (1 - s.troughFraction) * phase);
}

export interface ServiceStats {
  readonly id: string;
  replicaSecondsServing: number;
  demandTokens: number;
  servedTokens: number;
  peakReplicas: number;
  replicaJobs: number;
}

/**
 * Runs an inference service in the engine: every AUTOSCALE_SECONDS, `desiredReplicas` (the same
 * function the live autoscaler uses) turns the demand curve into a replica count; new replicas
 * are queued as serve jobs, surplus ones are cancelled (queued first, then newest running).
 */
export function runService(engine: Engine, s: ServiceSpec): ServiceStats {
  const stats: ServiceStats = { id: s.id, replicaSecondsServing: 0, demandTokens: 0, servedTokens: 0, peakReplicas: 0, replicaJobs: 0 };
  const replicas: JobView[] = [];
  const tick = (): void => {
    const now = engine.now;
    const serving = replicas.filter((r) => r.status === 'running' && r.segStartSeconds <= now).length;
    const demand = demandAt(s, now);
    // Account the last interval at its start's level (piecewise constant at tick granularity).
    stats.demandTokens += demand * AUTOSCALE_SECONDS;
    stats.servedTokens += Math.min(demand, serving * s.capacityTokensPerSecondPerReplica) * AUTOSCALE_SECONDS;
    stats.replicaSecondsServing += serving * AUTOSCALE_SECONDS;
    const current = replicas.length;
    const want = desiredReplicas({
      currentReplicas: current, minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, queueDepth: 0,
      outputTokensPerSecond: demandAt(s, now + AUTOSCALE_SECONDS), capacityTokensPerSecondPerReplica: s.capacityTokensPerSecondPerReplica,
    });
    for (let i = current; i < want; i++) {
      const j = engine.addJob({
        id: `${s.id}/r${stats.replicaJobs++}`, tenant: s.tenant, priority: s.priority, kind: 'serve', nodes: s.nodesPerReplica, gpusPerNode: s.gpusPerNode,
        submitSeconds: now, workSeconds: Infinity, preemptible: false, checkpoints: false, recovery: 'gang',
      });
      replicas.push(j);
      engine.enqueue(j);
    }
    if (want < current) {
      // Cancel queued replicas first, then the newest running ones.
      const order = [...replicas].sort((a, b) => (a.status === 'queued' ? 0 : 1) - (b.status === 'queued' ? 0 : 1) || b.spec.submitSeconds - a.spec.submitSeconds);
      for (const r of order.slice(0, current - want)) {
        engine.retire(r);
        replicas.splice(replicas.indexOf(r), 1);
      }
    }
    stats.peakReplicas = Math.max(stats.peakReplicas, replicas.length);
    if (now + AUTOSCALE_SECONDS < engine.horizonSeconds) engine.kernel.schedule(AUTOSCALE_SECONDS, tick);
  };
  engine.kernel.schedule(0, tick);
  return stats;
}
