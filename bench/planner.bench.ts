// Planner benchmark: wall time of a full layout search, with the number of layouts evaluated.
// Prints one JSON object. Cases: Llama 3.1 405B on 16,384 H100 and Grok-1 on 100,000 H100 (colossus-100k).
import { MODELS } from '../src/catalog/models.ts';
import { FLEET_PRESETS } from '../src/fleet/presets.ts';
import { fleetHardware, homogeneousHardware } from '../src/plan/fleet-hardware.ts';
import { planContext, type TrainRequest } from '../src/plan/context.ts';
import { searchLayouts } from '../src/plan/search.ts';
import { formatLayout } from '../src/plan/layout.ts';

const cases: { name: string; req: TrainRequest }[] = [
  { name: 'llama3-405b-16k-h100', req: { model: MODELS['llama3-405b']!, hardware: homogeneousHardware('h100', 16_384), precision: 'bf16', seq: 8192, tokens: 15e12 } },
  { name: 'grok1-100k-h100', req: { model: MODELS['grok-1']!, hardware: fleetHardware(FLEET_PRESETS['colossus-100k']!), precision: 'bf16', seq: 8192, tokens: 15e12 } },
  { name: 'grok1-100k-h100-fp8', req: { model: MODELS['grok-1']!, hardware: fleetHardware(FLEET_PRESETS['colossus-100k']!), precision: 'fp8', seq: 8192, tokens: 15e12 } },
];

const out: Record<string, unknown> = {};
for (const c of cases) {
  const runs: number[] = [];
  let evaluated = 0;
  let rejected = 0;
  let best = '';
  let tokensPerSecondPerGpu = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = searchLayouts(planContext(c.req), { top: 5 });
    runs.push(performance.now() - t0);
    evaluated = r.evaluated;
    rejected = r.rejections.reduce((a, x) => a + x.count, 0);
    best = formatLayout(r.ranked[0]!.layout);
    tokensPerSecondPerGpu = r.ranked[0]!.tokensPerSecondPerGpu;
  }
  const sorted = [...runs].sort((a, b) => a - b);
  out[c.name] = {
    firstRunMs: Math.round(runs[0]!), medianMs: Math.round(sorted[2]!), layoutsEvaluated: evaluated, layoutsRejected: rejected,
    best, tokensPerSecondPerGpu: Math.round(tokensPerSecondPerGpu),
  };
}
process.stdout.write(JSON.stringify(out) + '\n');
