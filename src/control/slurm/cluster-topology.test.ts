import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpusFromGres, topologyFromSlurm } from './cluster-topology.ts';
import type { SlurmNode } from './slurm-cli.ts';

test('GPU count and catalog type come from the node\'s GRES', () => {
  assert.deepEqual(gpusFromGres('gpu:h100:8'), { gpuType: 'h100', gpus: 8 });
  assert.deepEqual(gpusFromGres('gpu:h200:8(S:0-1)'), { gpuType: 'h200', gpus: 8 });
  assert.deepEqual(gpusFromGres('gpu:4'), { gpuType: 'h100', gpus: 4 });
  assert.deepEqual(gpusFromGres(''), { gpuType: 'cpu', gpus: 0 });
});

test('leaves and spines come from `scontrol show topology`; pools from partitions', () => {
  const node = (name: string, partitions: string[], weight = 1): SlurmNode => ({ name, state: 'idle', flags: [], reason: '', gres: 'gpu:h100:8', partitions, weight });
  const nodes = [node('a-2', ['all', 'a']), node('a-1', ['all', 'a']), node('a-10', ['all', 'a']), node('oci-1', ['all', 'oci'], 1001)];
  const text = [
    'SwitchName=leaf0 Level=0 LinkSpeed=1 Nodes=a-[1-2]',
    'SwitchName=leaf1 Level=0 LinkSpeed=1 Nodes=a-10',
    'SwitchName=leaf2 Level=0 LinkSpeed=1 Nodes=oci-1',
    'SwitchName=spine0 Level=1 LinkSpeed=1 Nodes=a-[1-2,10] Switches=leaf[0-1]',
    'SwitchName=spine1 Level=1 LinkSpeed=1 Nodes=oci-1 Switches=leaf2',
  ].join('\n');
  const t = topologyFromSlurm(nodes, text);
  assert.deepEqual(t.nodes.map((n) => n.name), ['a-1', 'a-2', 'a-10', 'oci-1']);
  assert.deepEqual(t.nodes.map((n) => n.leaf), [0, 0, 1, 2]);
  assert.deepEqual(t.nodes.map((n) => n.spine), [0, 0, 0, 1]);
  assert.deepEqual(t.nodes.map((n) => n.pool), ['a', 'a', 'a', 'oci']);
  // Weight, as `slurm config` writes it, says owned (1) or rented and at what price per GPU-hour.
  assert.deepEqual(t.nodes.map((n) => n.rented), [false, false, false, true]);
  assert.equal(t.nodes[3]!.pricePerGpuHourUsd, 10);
  assert.equal(t.leafCount, 3);
  assert.equal(t.spineCount, 2);
});

test('without topology/tree every node shares one flat domain', () => {
  const t = topologyFromSlurm([{ name: 'n1', state: 'idle', flags: [], reason: '', gres: '', partitions: [], weight: 1 }], '');
  assert.equal(t.leafCount, 1);
  assert.equal(t.nodes[0]!.pool, 'slurm');
  assert.equal(t.nodes[0]!.gpuType, 'cpu');
});
