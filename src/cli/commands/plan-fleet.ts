import type { Command } from 'commander';
import { modelIds } from '../../catalog/models.ts';
import { OCI_H100_POOL, FLEET_PRESETS } from '../../fleet/presets.ts';
import type { FleetSpec, PoolSpec } from '../../fleet/types.ts';
import { parseCount } from '../../lib/count.ts';
import { ImpossibleError, InputError } from '../../lib/errors.ts';
import { buildOrRent, type BuildOrRentAnswer } from '../../sim/build-or-rent.ts';
import { DEFAULT_FAILURE_MODEL } from '../../sim/failures.ts';
import { FLEET_ARG_HELP, loadFleet } from '../fleet-arg.ts';

interface Options { model: string; tokens: string; deadlineDays: string; fleet: string; rentPool?: string; seed: string; json?: boolean }

const num = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The pool to rent: --rent-pool (a pool of the fleet, or a fleet preset/file with a pool), else the fleet's own, else OCI H100. */
function poolOf(fleet: FleetSpec, name: string | undefined): { pool: PoolSpec; poolFleet: FleetSpec } {
  if (name === undefined) {
    if (fleet.pools[0]) return { pool: fleet.pools[0], poolFleet: fleet };
    return { pool: OCI_H100_POOL, poolFleet: FLEET_PRESETS['oci-h100']! };
  }
  const own = fleet.pools.find((p) => p.name === name);
  if (own) return { pool: own, poolFleet: fleet };
  const other = loadFleet(name);
  if (!other.pools[0]) throw new InputError({ field: '--rent-pool', value: name, expected: 'a fleet preset or file with a rented pool (e.g. oci-h100), or the name of one of this fleet\'s pools' });
  return { pool: other.pools[0], poolFleet: other };
}

export function formatBuildOrRent(a: BuildOrRentAnswer): string {
  const rows = a.options.map((o) => [
    o.name, num(o.ownedGpus), num(o.rentedGpus), num(o.jobGpus), num(o.leadTimeDays, 1), num(o.plannedDays, 1), `${num(o.days, 1)}${o.finished ? '' : '+'}`,
    `${(o.goodput * 100).toFixed(1)}%`, num(o.interruptions), num(o.energyMWh), `$${num(o.costUsd / 1e6, 2)}M`, o.meetsDeadline ? 'yes' : 'no',
  ]);
  const head = ['option', 'owned GPUs', 'rented GPUs', 'job GPUs', 'lead d', 'plan d', 'twin d', 'goodput', 'failures', 'MWh', 'cost', `<= ${a.deadlineDays} d`];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return [
    `${a.model}, ${num(a.tokens / 1e12, 2)}T tokens, deadline ${a.deadlineDays} days: owned vs owned+rented vs rented, each planned and run in the twin`,
    ...all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')),
    ...a.options.map((o) => `  ${o.name}: ${o.layout}, ${num(o.tokensPerSecondPerGpu, 1)} tokens/s/GPU planned, ${o.spareNodes} hot spare nodes; owned $${num(o.costOwnedUsd / 1e6, 2)}M + rented $${num(o.costRentedUsd / 1e6, 2)}M`),
    `answer: ${a.choice ?? 'none'}: ${a.why}`,
    ...a.assumptions.map((s) => `  assumes: ${s}`),
  ].join('\n') + '\n';
}

/** Registers `plan fleet`: build or rent, answered by the twin. */
export function register(plan: Command): void {
  plan.command('fleet')
    .description('Build or rent: train a model on the owned fleet, owned + rented, or rented only; each planned and run in the twin (failures, spares, restarts, lead time, minimum term); picks the cheapest that meets the deadline')
    .requiredOption('--model <id>', `a catalog model (${modelIds.join(', ')})`)
    .requiredOption('--tokens <n>', 'training tokens, e.g. 15T')
    .requiredOption('--deadline-days <d>', 'days by which training must be done')
    .option('--fleet <name|file>', `the owned fleet: ${FLEET_ARG_HELP}`, 'colossus-100k')
    .option('--rent-pool <name>', 'pool to rent: one of the fleet\'s pools, or a fleet preset/file with one (default: the fleet\'s own pool, else oci-h100)')
    .option('--seed <n>', 'random seed of the twin', '1')
    .option('--json', 'print JSON')
    .action((o: Options) => {
      const tokens = parseCount(o.tokens, '--tokens');
      const deadlineDays = Number(o.deadlineDays);
      if (!(deadlineDays > 0) || deadlineDays > 3650) throw new InputError({ field: '--deadline-days', value: o.deadlineDays, expected: 'a number of days from 0 to 3650' });
      const seed = Number(o.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new InputError({ field: '--seed', value: o.seed, expected: 'a whole number >= 0' });
      const fleet = loadFleet(o.fleet);
      const answer = buildOrRent({ modelId: o.model, tokens, deadlineDays, fleet, ...poolOf(fleet, o.rentPool), failures: DEFAULT_FAILURE_MODEL, seed });
      process.stdout.write(o.json ? JSON.stringify(answer, null, 2) + '\n' : formatBuildOrRent(answer));
      if (answer.choice === undefined) {
        const fastest = [...answer.options].sort((a, b) => a.days - b.days)[0];
        const gpusNeeded = fastest ? Math.ceil((fastest.jobGpus * (fastest.days - fastest.leadTimeDays)) / Math.max(1e-9, deadlineDays - fastest.leadTimeDays)) : undefined;
        throw new ImpossibleError(`--deadline-days ${deadlineDays}: ${answer.why}`,
          fastest ? `a deadline of at least ${Math.ceil(fastest.days)} days, fewer --tokens, or about ${num(gpusNeeded!)} GPUs (a larger --fleet, or a larger --rent-pool)` : 'a fleet or pool with GPUs that fit the model');
      }
    });
}
