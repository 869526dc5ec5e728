/**
 * Routing statistics of a mixture-of-experts layer for one micro-batch: how many token rows the
 * experts of one GPU compute, including the load imbalance of top-k routing.
 *
 * Dropless routing: each of the N = rows x ep routed copies in the expert-parallel group lands on a
 * given rank (holding 1/ep of the experts) with probability 1/ep (balanced router, tokens routed
 * independently; the auxiliary loss keeps the router near this). A rank's load is then binomial with
 * mean mu = rows and standard deviation sqrt(mu (1 - 1/ep)); the group waits for its most loaded rank,
 * whose expected load is mu + sigma x E[max of ep standard normals] (Blom's approximation
 * Phi^-1((n - 0.375) / (n + 0.25)) for the expected maximum). This is the statistical floor: a
 * trained router's preferences only add to it.
 *
 * Capacity (drop and pad): every expert computes exactly capacityFactor x its balanced share.
 */
export interface MoeRouting {
  /** Rows the GPU's local experts compute per micro-batch (after any TP gather), slowest rank. */
  readonly rows: number;
  /** rows / balanced rows - 1. */
  readonly imbalance: number;
  readonly localExperts: number;
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function inverseNormalCdf(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Expected maximum of n independent standard normals (Blom). */
export function expectedMaxOfNormals(n: number): number {
  return n <= 1 ? 0 : inverseNormalCdf((n - 0.375) / (n + 0.25));
}

/**
 * @param balancedRows routed rows per GPU per micro-batch if routing were perfectly even (tokens x topK)
 * @param ep expert-parallel size; experts: routed experts in the layer
 */
export function moeRouting(balancedRows: number, experts: number, ep: number, capacityFactor: number | undefined): MoeRouting {
  const localExperts = experts / ep;
  if (capacityFactor !== undefined) return { rows: balancedRows * capacityFactor, imbalance: capacityFactor - 1, localExperts };
  if (ep <= 1 || balancedRows <= 0) return { rows: balancedRows, imbalance: 0, localExperts };
  const sigma = Math.sqrt(balancedRows * (1 - 1 / ep));
  const imbalance = (sigma * expectedMaxOfNormals(ep)) / balancedRows;
  return { rows: balancedRows * (1 + imbalance), imbalance, localExperts };
}
