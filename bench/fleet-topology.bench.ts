// buildTopology and summarizeFleet on the 100k-GPU preset: median of repeated runs after warm-up.
import { FLEET_PRESETS } from '../src/fleet/presets.ts';
import { buildTopology } from '../src/fleet/topology.ts';
import { summarizeFleet } from '../src/fleet/summary.ts';
import { parseFleetYaml } from '../src/fleet/parse.ts';
import { readFileSync } from 'node:fs';

function medianMs(fn: () => unknown, runs: number): number {
  for (let i = 0; i < 5; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Number(times[Math.floor(runs / 2)]!.toFixed(3));
}

const colossus = FLEET_PRESETS['colossus-100k']!;
const yaml = readFileSync(new URL('../examples/fleets/mixed.yaml', import.meta.url), 'utf8');
const nodes = buildTopology(colossus).nodes.length;
process.stdout.write(JSON.stringify({
  nodes,
  buildTopologyColossus100kMs: medianMs(() => buildTopology(colossus), 50),
  summarizeFleetColossus100kMs: medianMs(() => summarizeFleet(colossus), 200),
  parseFleetYamlMixedMs: medianMs(() => parseFleetYaml(yaml, 'mixed.yaml'), 200),
}) + '\n');
