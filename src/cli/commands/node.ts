// `gigafactory nodes` and `gigafactory node drain|resume|down NAME [--reason TEXT]`: node
// operations on the live control plane, as Slurm's `sinfo -N` and `scontrol update state=`.
import type { Command } from 'commander';
import { InputError } from '../../lib/errors.ts';
import { ControlClient, findServer } from '../../control/client.ts';
import { NODE_ACTIONS, type NodeJson } from '../../control/api/nodes.ts';

const DATA_DIR_HELP = 'data directory (default $GIGAFACTORY_DATA_DIR or ./.gigafactory)';
const pad = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
};

export function register(program: Command): void {
  program.command('nodes')
    .description('list the cluster\'s nodes: state (up, draining, drained, down, repair, unrented), reason, GPUs and GPUs in use')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--state <state>', 'only nodes in this state (up, draining, drained, down, repair, unrented)')
    .option('--json', 'print JSON')
    .action(async (o: { dataDir?: string; state?: string; json?: boolean }) => {
      const { nodes } = await new ControlClient(findServer(o.dataDir)).call<{ nodes: NodeJson[] }>('GET', `/v1/nodes${o.state ? `?state=${encodeURIComponent(o.state)}` : ''}`);
      if (o.json) { process.stdout.write(JSON.stringify(nodes, null, 2) + '\n'); return; }
      if (nodes.length === 0) { process.stdout.write('no nodes\n'); return; }
      // Rented instances (up --rent-pool) get their own columns, only when there are any.
      const rented = nodes.some((n) => n.rental);
      const rentCols = (n: NodeJson): string[] => (!rented ? [] : n.rental
        ? [n.rental.instance ?? `(${n.rental.state})`, n.rental.launched_at.slice(0, 19).replace('T', ' '), n.rental.price_per_hour_usd.toFixed(2)]
        : ['', '', '']);
      process.stdout.write(pad([['NAME', 'STATE', 'GPUS', 'IN_USE', 'POOL', ...(rented ? ['INSTANCE', 'LAUNCHED', '$/HOUR'] : []), 'REASON'],
        ...nodes.map((n) => [n.name, n.spare && n.state === 'up' ? 'up,spare' : n.state, n.gpus > 0 ? `${n.gpus} ${n.gpu_type}` : 'cpu', String(n.gpusInUse), n.pool, ...rentCols(n), n.reason ?? ''])]));
    });

  program.command('node')
    .description('drain (no new work; running jobs finish), resume, or down (running jobs stopped and requeued) a node; admin token')
    .argument('<action>', NODE_ACTIONS.join(' | '))
    .argument('<name>', 'node name (see `gigafactory nodes`)')
    .option('--reason <text>', 'why (shown in `gigafactory nodes`)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (action: string, name: string, o: { reason?: string; dataDir?: string }) => {
      if (!(NODE_ACTIONS as readonly string[]).includes(action)) throw new InputError({ field: 'ACTION', value: action, expected: `one of ${NODE_ACTIONS.join(', ')}` });
      const r = await new ControlClient(findServer(o.dataDir)).call<{ name: string; state: string; reason: string | null }>(
        'POST', `/v1/nodes/${encodeURIComponent(name)}/state`, { state: action, ...(o.reason !== undefined ? { reason: o.reason } : {}) });
      process.stdout.write(`${r.name}: ${r.state}${r.reason ? ` (${r.reason})` : ''}\n`);
    });
}
