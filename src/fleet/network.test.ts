import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fatTree, leafDownlinks, maxEndpoints, railFabric } from './network.ts';
import { ImpossibleError } from '../lib/errors.ts';

test('non-blocking fat-tree limits: radix 64 connects 2,048 endpoints in 2 tiers and 65,536 in 3', () => {
  assert.equal(maxEndpoints(64, 1, 2), 2_048);
  assert.equal(maxEndpoints(64, 1, 3), 65_536);
  assert.equal(maxEndpoints(128, 1, 2), 8_192);
  assert.equal(maxEndpoints(128, 1, 3), 524_288);
  assert.equal(fatTree({ endpoints: 2_048, radix: 64, oversubscription: 1 }).tiers, 2);
  assert.equal(fatTree({ endpoints: 2_049, radix: 64, oversubscription: 1 }).tiers, 3);
  assert.equal(fatTree({ endpoints: 65_536, radix: 64, oversubscription: 1 }).tiers, 3);
  assert.equal(fatTree({ endpoints: 65_537, radix: 64, oversubscription: 1 }).tiers, 4);
  assert.equal(fatTree({ endpoints: 64, radix: 64, oversubscription: 1 }).tiers, 1);
});

// NVIDIA DGX SuperPOD reference architecture, InfiniBand switch counts (shared/data/hardware.md A3).
const SUPERPOD = [
  { gpus: 512, switches: [16, 8] },
  { gpus: 1_024, switches: [32, 16] },
  { gpus: 2_048, switches: [64, 32] },
  { gpus: 4_096, switches: [128, 128, 64] },
  { gpus: 8_192, switches: [256, 256, 128] },
  { gpus: 16_384, switches: [512, 512, 256] },
];
for (const row of SUPERPOD) {
  test(`SuperPOD ${row.gpus} GPUs: ${row.switches.join('/')} switches and one cable per GPU per tier`, () => {
    const f = railFabric({ nodes: row.gpus / 8, railsPerNode: 8, radix: 64, oversubscription: 1, railOptimized: true, nicGbps: 400 });
    assert.deepEqual(f.switchesPerTier, row.switches);
    assert.equal(f.planes, 1);
    for (const links of f.linksPerTier) assert.equal(links, row.gpus);
  });
}

test('16k GPUs: 1,280 switches in 3 tiers (hardware.md A3)', () => {
  const f = railFabric({ nodes: 2_048, railsPerNode: 8, radix: 64, oversubscription: 1, railOptimized: true, nicGbps: 400 });
  assert.equal(f.switches, 1_280);
  assert.equal(f.tiers, 3);
});

test('100k-class fabric at radix 64 needs one plane per rail: 7,680 switches (3,072 / 3,072 / 1,536)', () => {
  const f = railFabric({ nodes: 12_288, railsPerNode: 8, radix: 64, oversubscription: 1, railOptimized: true, nicGbps: 400 });
  assert.equal(f.planes, 8);
  assert.equal(f.tiers, 3);
  assert.deepEqual(f.switchesPerTier, [3_072, 3_072, 1_536]);
  assert.equal(f.switches, 7_680);
});

test('the same NICs on radix-128 switches fit one 3-tier plane: 3,840 switches (1,536 / 1,536 / 768)', () => {
  const f = railFabric({ nodes: 12_288, railsPerNode: 8, radix: 128, oversubscription: 1, railOptimized: true, nicGbps: 400 });
  assert.equal(f.planes, 1);
  assert.deepEqual(f.switchesPerTier, [1_536, 1_536, 768]);
});

test('without rail optimization 100k NICs at radix 64 take a fourth tier', () => {
  const f = railFabric({ nodes: 12_288, railsPerNode: 8, radix: 64, oversubscription: 1, railOptimized: false, nicGbps: 400 });
  assert.equal(f.planes, 1);
  assert.equal(f.tiers, 4);
});

test('non-blocking 3-tier cables are about 3 x endpoints', () => {
  const f = railFabric({ nodes: 2_048, railsPerNode: 8, radix: 64, oversubscription: 1, railOptimized: true, nicGbps: 400 });
  assert.equal(f.links, 3 * 16_384);
});

test('oversubscription moves leaf ports down, cuts upper-tier switches and bisection', () => {
  assert.equal(leafDownlinks(64, 1), 32);
  assert.equal(leafDownlinks(64, 7), 56);
  assert.equal(leafDownlinks(64, 3), 48);
  const flat = railFabric({ nodes: 2_048, railsPerNode: 8, radix: 64, oversubscription: 1, railOptimized: true, nicGbps: 400 });
  const tapered = railFabric({ nodes: 2_048, railsPerNode: 8, radix: 64, oversubscription: 3, railOptimized: true, nicGbps: 400 });
  assert.ok(tapered.switchesPerTier[0]! < flat.switchesPerTier[0]!);
  assert.ok(tapered.switches < flat.switches);
  assert.equal(tapered.bisectionBytesPerSecond * 3, flat.bisectionBytesPerSecond);
});

test('bisection of a non-blocking fabric is half the NICs at line rate', () => {
  const f = railFabric({ nodes: 2_048, railsPerNode: 8, radix: 64, oversubscription: 1, railOptimized: true, nicGbps: 400 });
  assert.equal(f.bisectionBytesPerSecond, (16_384 / 2) * 50e9);
});

test('rail-optimized leaf domains hold leafDownlinks whole nodes; flat ones divide by rails', () => {
  const rail = railFabric({ nodes: 2_048, railsPerNode: 8, radix: 64, oversubscription: 1, railOptimized: true, nicGbps: 400 });
  assert.equal(rail.nodesPerLeaf, 32); // one SuperPOD scalable unit
  const flat = railFabric({ nodes: 2_048, railsPerNode: 8, radix: 64, oversubscription: 1, railOptimized: false, nicGbps: 400 });
  assert.equal(flat.nodesPerLeaf, 4);
});

test('a design deeper than maxTiers is an ImpossibleError with a hint', () => {
  assert.throws(() => fatTree({ endpoints: 100_000, radix: 64, oversubscription: 1, maxTiers: 3 }), (e: unknown) => e instanceof ImpossibleError && /rail/.test(e.hint));
  assert.throws(() => fatTree({ endpoints: 0, radix: 64, oversubscription: 1 }), ImpossibleError);
});
