// gigafactory: the command-line edge. Each command group lives in src/cli/commands/<name>.ts
// and exports `register(program)`. User errors print a message and exit 2; bugs print a stack.
import { Command, CommanderError } from 'commander';
import { isUserError } from '../lib/errors.ts';
import { register as registerFleet } from './commands/fleet.ts';
import { register as registerPlan } from './commands/plan.ts';
import { register as registerSim } from './commands/sim.ts';
import { register as registerControl } from './commands/control.ts';
import { register as registerServe } from './commands/serve.ts';
import { register as registerSlurm } from './commands/slurm.ts';
import { register as registerUsage } from './commands/usage.ts';

export function buildProgram(): Command {
  const program = new Command('gigafactory')
    .description('Plan, simulate and run an AI compute gigafactory (up to 100,000 GPUs, owned and rented).')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const register of [registerFleet, registerPlan, registerSim, registerControl, registerServe, registerSlurm, registerUsage]) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version exit 0; usage errors (already printed by commander) exit 2.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isUserError(e)) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

