/**
 * Queueing arithmetic for the serving planner. Assumption (stated in the report): requests
 * arrive as a Poisson process; a replica is an M/M/c queue whose c servers are its batch slots
 * and whose service time is one request's whole residence (prefill + all decode steps).
 */

/** Erlang C: probability an arrival waits, for c servers at offered load a = lambda x S (erlangs). */
export function erlangC(servers: number, offeredErlangs: number): number {
  if (offeredErlangs <= 0) return 0;
  if (offeredErlangs >= servers) return 1;
  // Erlang B by the stable recurrence, then C from B.
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (offeredErlangs * b) / (k + offeredErlangs * b);
  return (servers * b) / (servers - offeredErlangs * (1 - b));
}

/** Wait not exceeded by `quantile` of arrivals in M/M/c (seconds); Infinity when overloaded. */
export function mmcWaitQuantileSeconds(servers: number, arrivalsPerSecond: number, serviceSeconds: number, quantile: number): number {
  const a = arrivalsPerSecond * serviceSeconds;
  if (a >= servers) return Infinity;
  const pWait = erlangC(servers, a);
  const tail = 1 - quantile;
  if (pWait <= tail) return 0;
  return Math.log(pWait / tail) / (servers / serviceSeconds - arrivalsPerSecond);
}

/** Smallest k with P(Poisson(mean) <= k) >= quantile. */
export function poissonQuantile(mean: number, quantile: number): number {
  if (mean <= 0) return 0;
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  // Large means: normal approximation (the sum of terms underflows past ~700).
  if (mean > 500) return Math.ceil(mean + 2.3263 * Math.sqrt(mean));
  while (cdf < quantile && k < 100_000) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}
