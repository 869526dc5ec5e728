// gigafactory: the command-line edge. Each command group lives in src/cli/commands/<name>.ts
// and exports `register(program)`. User errors print a message and exit 2; bugs print a stack.
import { Command, CommanderError } from 'commander';
import { isUserError } from '../lib/errors.ts';

type Register = (program: Command) => void;

/**
 * Command groups and the top-level commands each registers. A call loads only the group of
 * the command it names (esbuild splits each into its own chunk), so `gigafactory plan ...`
 * never parses the control plane's HTTP, SQL and metrics libraries, and `--version` parses
 * none of them; help, `help X` and unknown commands load every group. A test checks this
 * table against what each group registers.
 */
export const COMMAND_GROUPS: readonly { readonly commands: readonly string[]; readonly load: () => Promise<{ register: Register }> }[] = [
  { commands: ['fleet'], load: () => import('./commands/fleet.ts') },
  { commands: ['plan'], load: () => import('./commands/plan.ts') },
  { commands: ['sim'], load: () => import('./commands/sim.ts') },
  { commands: ['up', 'submit', 'jobs', 'job', 'logs', 'cancel', 'demo'], load: () => import('./commands/control.ts') },
  { commands: ['token', 'audit'], load: () => import('./commands/tokens.ts') },
  { commands: ['serve'], load: () => import('./commands/serve.ts') },
  { commands: ['slurm'], load: () => import('./commands/slurm.ts') },
  { commands: ['usage'], load: () => import('./commands/usage.ts') },
  { commands: ['nodes', 'node'], load: () => import('./commands/node.ts') },
];

/** The groups a command line needs: none for `--version` alone, one for a known command, else all (help lists them). */
function groupsFor(argv: readonly string[]): typeof COMMAND_GROUPS {
  const first = argv[0];
  if (first === '--version' || first === '-V') return [];
  const named = COMMAND_GROUPS.find((g) => first !== undefined && g.commands.includes(first));
  return named !== undefined ? [named] : COMMAND_GROUPS;
}

/** The program with the groups `argv` needs registered (every group when `argv` is omitted). */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('gigafactory')
    .description('Plan, simulate and run an AI compute gigafactory (up to 100,000 GPUs, owned and rented).')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const groups = argv === undefined ? COMMAND_GROUPS : groupsFor(argv);
  for (const m of await Promise.all(groups.map((g) => g.load()))) m.register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
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

