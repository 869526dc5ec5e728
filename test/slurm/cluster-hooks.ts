/**
 * Shared by the Slurm integration tests: starts a real emulated Slurm cluster before the file's
 * tests and always tears it down after them (also when a test fails or the process is
 * interrupted). Without Slurm installed the tests are skipped with a clear message.
 */
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadFleet } from '../../src/cli/fleet-arg.ts';
import { startLocalCluster, type LocalCluster } from '../../src/control/slurm/local-cluster.ts';
import { findSlurmBinary } from '../../src/control/slurm/slurm-cli.ts';

export const slurmMissing: string | false = ['slurmctld', 'slurmd', 'munged', 'sbatch'].some((b) => findSlurmBinary(b) === undefined)
  ? 'Slurm binaries not found (apt-get install -y slurm-wlm munge; .ci/run installs them)'
  : process.getuid?.() !== 0 ? 'the emulated Slurm cluster runs its daemons as root; run the tests as root (CI does)' : false;

/** 4 owned + 2 rented H100 nodes, 8 GPUs each. */
export const TEST_FLEET = fileURLToPath(new URL('./fleet-4-nodes.yaml', import.meta.url));

/**
 * The cluster of this test file, available once `before` ran: started from the configuration
 * `gigafactory slurm config TEST_FLEET --include-pools --local DIR` writes.
 */
export function useCluster(): { get(): LocalCluster } {
  let cluster: LocalCluster | undefined;
  const stop = (): void => { void cluster?.down(); };
  if (slurmMissing === false) {
    before(async () => {
      cluster = await startLocalCluster(loadFleet(TEST_FLEET));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    after(async () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await cluster?.down();
    });
  }
  return {
    get(): LocalCluster {
      if (cluster === undefined) throw new Error('Slurm test cluster not started');
      return cluster;
    },
  };
}
