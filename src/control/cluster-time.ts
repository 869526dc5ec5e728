/**
 * The cluster's time against the plane's. The plane, its store and its API keep wall-clock
 * epoch seconds; a simulated cluster (`up --executor sim --sim-speed X`) lives X cluster seconds
 * per wall second, as the simulator's real-time kernel does (src/sim/realtime-kernel.ts). Every
 * duration the cluster lives in (a job's runtime estimate, a pool's lead time, the rent
 * policy's queue wait, idle release and minimum term, rented hours billed) crosses to the
 * plane's wall time here, and nowhere else. A real cluster's speed is 1.
 */

/** A duration in cluster seconds, as wall seconds. */
export const wallSecondsOf = (clusterSeconds: number, speed = 1): number => clusterSeconds / speed;

/**
 * A span of wall seconds, as cluster seconds. What the plane reports as a duration (an
 * attempt's lost work, a tenant's GPU-hours, a job's ETTR, a pool's billed hours) is cluster
 * time, as Slurm's sacct reports a job's elapsed on the cluster; the store keeps wall-clock
 * timestamps and converts its spans here.
 */
export const clusterSecondsOf = (wallSeconds: number, speed = 1): number => wallSeconds * speed;
