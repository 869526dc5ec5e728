// The executor conformance suite (the same cases the local and simulated executors pass) against a
// real Slurm cluster of 6 emulated nodes, Gigafactory placing ranks with --nodelist (across two
// fabrics); a node is failed with `scontrol update State=DOWN`.
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { runExecutorContract } from '../../src/control/executor-contract.ts';
import { SlurmExecutor } from '../../src/control/slurm/executor.ts';
import { slurmMissing, useCluster } from './cluster-hooks.ts';

if (slurmMissing !== false) {
  test('Slurm executor contract', { skip: slurmMissing }, () => undefined);
} else {
  const cluster = useCluster();
  runExecutorContract({
    name: 'slurm',
    newExecutor: () => new SlurmExecutor({ confPath: cluster.get().confPath, pollMs: 100 }),
    nodeNames: ['hall-a-00001', 'oci-00000'],
    timeoutMs: 20_000,
    failNode: (name) => {
      const env = { ...process.env, SLURM_CONF: cluster.get().confPath };
      execFileSync('scontrol', ['update', `NodeName=${name}`, 'State=DOWN', 'Reason=gf-contract-node-failure'], { env });
      // RESUME the node for the next test (refused if it is already up).
      return () => { try { execFileSync('scontrol', ['update', `NodeName=${name}`, 'State=RESUME'], { env, stdio: 'ignore' }); } catch { /* already up */ } };
    },
  });
}
