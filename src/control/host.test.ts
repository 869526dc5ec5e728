import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectHost, NVIDIA_SMI_ARGS, parseNvidiaSmi, type CommandRunner } from './host.ts';
import { localFleet } from '../fleet/local.ts';
import { buildTopology } from '../fleet/topology.ts';

const fakeOs = { hostname: () => 'box', cpuCores: () => 16, memoryBytes: () => 64 * 2 ** 30 };
const noNvidiaSmi: CommandRunner = () => undefined; // as on a machine without the driver

// nvidia-smi output as printed on an 8 x H100 HGX node (memory.total in MiB).
const H100_SMI = Array.from({ length: 8 }, (_, i) => `${i}, NVIDIA H100 80GB HBM3, 81559`).join('\n') + '\n';

test('no nvidia-smi: a CPU-only host and a one-node CPU fleet', () => {
  const host = detectHost({ runner: noNvidiaSmi, os: fakeOs });
  assert.deepEqual(host, { hostname: 'box', cpuCores: 16, memoryBytes: 64 * 2 ** 30, gpus: [] });
  const fleet = localFleet(host);
  const t = buildTopology(fleet);
  assert.equal(t.nodes.length, 1);
  assert.equal(t.nodes[0]!.gpuType, 'cpu');
  assert.equal(t.nodes[0]!.gpus, 0);
  assert.equal(fleet.nodeTypes!.local!.cpuCores, 16);
});

test('this machine is detected with real os figures (no GPU assumed)', () => {
  const host = detectHost();
  assert.ok(host.cpuCores >= 1);
  assert.ok(host.memoryBytes > 0);
  assert.ok(host.hostname.length > 0);
});

test('the runner is asked for nvidia-smi with the documented query', () => {
  const calls: [string, readonly string[]][] = [];
  detectHost({ runner: (f, a) => { calls.push([f, a]); return undefined; }, os: fakeOs });
  assert.deepEqual(calls, [['nvidia-smi', NVIDIA_SMI_ARGS]]);
});

test('parses nvidia-smi rows: index, name, memory in MiB', () => {
  const gpus = parseNvidiaSmi(H100_SMI);
  assert.equal(gpus.length, 8);
  assert.deepEqual(gpus[3], { index: 3, name: 'NVIDIA H100 80GB HBM3', memoryBytes: 81559 * 2 ** 20 });
});

test('skips blank and malformed lines', () => {
  assert.deepEqual(parseNvidiaSmi('\n\nNo devices were found\n'), []);
  assert.equal(parseNvidiaSmi('0, NVIDIA A100-SXM4-80GB, 81920\ngarbage\n').length, 1);
});

test('an 8 x H100 host becomes one hgx-class node with 8 H100', () => {
  const host = detectHost({ runner: () => H100_SMI, os: fakeOs });
  const t = buildTopology(localFleet(host));
  assert.equal(t.nodes[0]!.gpuType, 'h100');
  assert.equal(t.nodes[0]!.gpus, 8);
});

test('GPUs missing from the catalog are listed but not counted', () => {
  const host = detectHost({ runner: () => '0, NVIDIA GeForce RTX 4090, 24564\n', os: fakeOs });
  const fleet = localFleet(host);
  assert.equal(fleet.nodeTypes!.local!.gpusPerNode, 0);
  assert.match(fleet.description!, /RTX 4090.*not counted/);
});
