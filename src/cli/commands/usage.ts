// `gigafactory usage`: GPU-hours and cost per tenant and job, owned vs rented, and rented pools' bills vs jobs (as Slurm's sreport).
import type { Command } from 'commander';
import type { UsageReport } from '../../control/usage.ts';
import { parseSince } from '../../control/api/usage-routes.ts';
import { client, DATA_DIR_HELP, pad } from './control.ts';

const hours = (h: number) => h.toLocaleString('en-US', { maximumFractionDigits: h < 1 ? 3 : 1 });
const usd = (x: number) => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function register(program: Command): void {
  program.command('usage')
    .description('GPU-hours and cost per tenant and per job, owned (capex + power) vs rented (pool price), from the store; for an admin of every tenant, each rented pool\'s bill (minimum terms included) vs what jobs used')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--tenant <name>', 'only this tenant (a tenant token sees only its own)')
    .option('--since <date>', 'only hours after this ISO-8601 date or time, e.g. 2026-12-01')
    .option('--jobs', 'also list each job')
    .option('--json', 'print JSON')
    .action(async (o: { dataDir?: string; tenant?: string; since?: string; jobs?: boolean; json?: boolean }) => {
      parseSince(o.since, '--since');
      const q = new URLSearchParams({ ...(o.tenant !== undefined ? { tenant: o.tenant } : {}), ...(o.since !== undefined ? { since: o.since } : {}) }).toString();
      const { usage } = await client(o.dataDir).call<{ usage: UsageReport }>('GET', `/v1/usage${q ? `?${q}` : ''}`);
      if (o.json) { process.stdout.write(`${JSON.stringify(usage, null, 2)}\n`); return; }
      const row = (name: string, jobs: string, f: UsageReport['total']) => [name, jobs, hours(f.nodeHours), hours(f.ownedGpuHours), usd(f.ownedCostUsd), hours(f.rentedGpuHours), usd(f.rentedCostUsd), usd(f.ownedCostUsd + f.rentedCostUsd)];
      const head = ['TENANT', 'JOBS', 'NODE-H', 'OWNED GPU-H', 'OWNED COST', 'RENTED GPU-H', 'RENTED COST', 'TOTAL'];
      const since = usage.sinceSeconds === undefined ? 'all time' : `since ${new Date(usage.sinceSeconds * 1000).toISOString()}`;
      process.stdout.write(`usage ${since} to ${new Date(usage.untilSeconds * 1000).toISOString()}\n`);
      process.stdout.write(pad([head, ...usage.tenants.map((t) => row(t.tenant, String(t.jobs), t)), row('total', String(usage.jobs.length), usage.total)]));
      if (o.jobs === true && usage.jobs.length > 0) {
        process.stdout.write(`\n${pad([['JOB', 'NAME', ...head], ...usage.jobs.map((j) => [j.jobId, j.name, ...row(j.tenant, '1', j)])])}`);
      }
      // Rented pools (an admin's report of every tenant only): the bill, minimum terms included, and the idle rest.
      if (usage.pools !== undefined && usage.pools.length > 0) {
        const poolHead = ['RENTED POOL', 'BILLED GPU-H', 'BILLED COST', 'JOBS GPU-H', 'JOBS COST', 'IDLE/MIN-TERM GPU-H', 'IDLE/MIN-TERM COST'];
        const poolRows = usage.pools.map((p) => [p.pool, hours(p.gpuHours), usd(p.costUsd), hours(p.jobsGpuHours), usd(p.jobsCostUsd), hours(p.idleGpuHours), usd(p.idleCostUsd)]);
        process.stdout.write(`\n${pad([poolHead, ...poolRows])}`);
      }
      for (const r of usage.rates) process.stdout.write(`  ${r.pool} (${r.kind}): ${usd(r.usdPerNodeHour)}/node-hour, ${r.source}\n`);
    });
}
