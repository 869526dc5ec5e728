// The executor conformance suite (the same cases the local executor passes) against a real
// Slurm cluster of 6 emulated nodes, Gigafactory placing ranks with --nodelist (across two fabrics).
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
  });
}
