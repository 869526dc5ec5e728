/**
 * Replica autoscaling for inference services, shared by the simulator and the live autoscaler.
 * Pure: demand in, replica count out.
 */
export interface AutoscaleInput {
  readonly currentReplicas: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Requests waiting for a slot now. */
  readonly queueDepth: number;
  /** Output tokens per second demanded (measured or forecast). */
  readonly outputTokensPerSecond: number;
  /** What one replica sustains at its latency target. */
  readonly capacityTokensPerSecondPerReplica: number;
  /** Utilisation to aim for, (0, 1]; default 0.7 (headroom for bursts within a scaling step). */
  readonly targetUtilization?: number;
}

/** Default target utilisation: 30% headroom, as a common HPA-style target for latency SLOs. */
export const DEFAULT_TARGET_UTILIZATION = 0.7;
/** Scale down only when the demand would fit in 10% fewer replicas (hysteresis, avoids flapping). */
const SCALE_DOWN_SLACK = 0.9;

/**
 * Replicas needed: ceil(demand / (capacity x target)). A backlog (queueDepth > 0) means the
 * current replicas are already short, so it asks for at least one more. Scale-down waits until
 * demand fits the smaller count with 10% slack (hysteresis). Clamped to [minReplicas,
 * maxReplicas]. Invalid inputs (capacity <= 0, NaN demand) keep the current count.
 */
export function desiredReplicas(input: AutoscaleInput): number {
  const { currentReplicas, minReplicas, maxReplicas, queueDepth, outputTokensPerSecond, capacityTokensPerSecondPerReplica } = input;
  const target = input.targetUtilization ?? DEFAULT_TARGET_UTILIZATION;
  const clamp = (n: number): number => Math.max(minReplicas, Math.min(maxReplicas, n));
  if (!(capacityTokensPerSecondPerReplica > 0) || !(target > 0) || !Number.isFinite(outputTokensPerSecond)) return clamp(currentReplicas);
  const perReplica = capacityTokensPerSecondPerReplica * Math.min(1, target);
  let want = Math.ceil(Math.max(0, outputTokensPerSecond) / perReplica);
  if (queueDepth > 0) want = Math.max(want, currentReplicas + 1);
  if (want < currentReplicas) {
    // Hysteresis: size the smaller count as if each replica had 10% less capacity.
    want = Math.min(currentReplicas, Math.ceil(Math.max(0, outputTokensPerSecond) / (perReplica * SCALE_DOWN_SLACK)));
  }
  return clamp(want);
}
