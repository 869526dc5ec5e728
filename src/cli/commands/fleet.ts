// `gigafactory fleet show|validate`: inspect a fleet (preset, `local`, or YAML file).
import type { Command } from 'commander';
import { FLEET_ARG_HELP, loadFleet } from '../fleet-arg.ts';
import { summarizeFleet } from '../../fleet/summary.ts';
import { renderFleet } from '../../fleet/render.ts';
import { parseFleetYaml } from '../../fleet/parse.ts';
import { readInputFile } from '../../control/input-file.ts';

const SHOW_HELP = `
Prints GPUs by type, nodes, racks, the scale-out network (switch counts per tier of a
rail-optimized fat tree at the switch radix and NIC speed, bisection, oversubscription),
peak dense BF16 and FP8 PFLOP/s, HBM, IT and facility power (PUE), capex, and the hourly
cost of owning versus renting the same GPUs; halls and rented pools are listed and totalled.

Examples:
  $ gigafactory fleet show colossus-100k
  $ gigafactory fleet show local
  $ gigafactory fleet show examples/fleets/mixed.yaml --json`;

const VALIDATE_HELP = `
Checks a fleet YAML file. Every wrong, missing or unknown field is reported with its YAML
path, line, the bad value and what is accepted; exit code 2 when anything is wrong.
The schema is in docs/readme/fleet.md; examples are in examples/fleets/.

Example:
  $ gigafactory fleet validate examples/fleets/mixed.yaml`;

export function register(program: Command): void {
  const fleet = program.command('fleet').description('inspect fleets: owned data halls and rented GPU pools')
    .addHelpText('after', `
A fleet is ${FLEET_ARG_HELP}.
Presets: colossus-100k (100,000 H100, Spectrum-X), h100-16k (16,384 H100, Quantum-2),
oci-h100 (rented OCI BM.GPU.H100.8 only), local (this machine, detected).
Example files: examples/fleets/*.yaml; schema: docs/readme/fleet.md.`);
  fleet.command('show')
    .description('show a fleet: GPUs, network, compute, power, capex and hourly cost')
    .argument('<fleet>', FLEET_ARG_HELP)
    .option('--json', 'print the summary as JSON instead of text')
    .addHelpText('after', SHOW_HELP)
    .action((name: string, opts: { json?: boolean }) => {
      const summary = summarizeFleet(loadFleet(name));
      process.stdout.write(opts.json === true ? JSON.stringify(summary, null, 2) + '\n' : renderFleet(summary));
    });
  fleet.command('validate')
    .description('check a fleet YAML file and report every problem')
    .argument('<file>', 'fleet YAML file')
    .addHelpText('after', VALIDATE_HELP)
    .action((file: string) => {
      const spec = parseFleetYaml(readInputFile(file, 'FILE', 'fleet YAML file'), file);
      const s = summarizeFleet(spec);
      process.stdout.write(`${file}: ok: fleet ${spec.name}, ${spec.halls.length} hall(s), ${spec.pools.length} pool(s), ${s.totals.gpus.toLocaleString('en-US')} GPUs\n`);
    });
}
