// `gigafactory token create|list|revoke` and `gigafactory audit`: tokens' life cycle and the
// audit log of admin actions, through the control plane's API (admin token needed).
import type { Command } from 'commander';
import { ControlClient, findServer } from '../../control/client.ts';
import { MAX_TOKEN_LIFE_SECONDS } from '../../control/api/admin-routes.ts';
import { parseDurationSeconds } from '../../lib/duration.ts';
import { InputError } from '../../lib/errors.ts';

const DATA_DIR_HELP = 'data directory (default $GIGAFACTORY_DATA_DIR or ./.gigafactory)';
const client = (dataDir?: string) => new ControlClient(findServer(dataDir));

interface TokenJson { id: string; tenant: string; admin: boolean; created_at: string; expires_at: string | null; revoked_at: string | null; state: string }
interface AuditJson { time: string; actor: string; token_id: string | null; action: string; target: string; detail: string }

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function register(program: Command): void {
  const token = program.command('token').description('API tokens (each maps to a tenant; stored hashed; admin token needed)');
  token.command('create')
    .description('create a token for a tenant; printed once')
    .requiredOption('--tenant <name>', 'tenant name (lowercase letters, digits, -)')
    .option('--admin', 'an admin token (sees every tenant\'s jobs)')
    .option('--expires <duration>', 'refused after this long, e.g. 30d, 12h, 90m (default: never)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (o: { tenant: string; admin?: boolean; expires?: string; dataDir?: string }) => {
      const expiresIn = o.expires === undefined ? undefined : parseDurationSeconds(o.expires, '--expires', 60, MAX_TOKEN_LIFE_SECONDS);
      const r = await client(o.dataDir).call<{ token: string; tenant: string; id: string; expires_at: string | null }>('POST', '/v1/tokens',
        { tenant: o.tenant, ...(o.admin ? { admin: true } : {}), ...(expiresIn !== undefined ? { expires_in_seconds: expiresIn } : {}) });
      process.stdout.write(`${r.token}\n`);
      process.stderr.write(`token ${r.id} for tenant ${r.tenant}${r.expires_at ? `, expires ${r.expires_at}` : ''}; use it with: export GIGAFACTORY_TOKEN=...\n`);
    });
  token.command('list')
    .description('every token: id, tenant, admin, created, expires, state (never the token itself)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (o: { dataDir?: string }) => {
      const { tokens } = await client(o.dataDir).call<{ tokens: TokenJson[] }>('GET', '/v1/tokens');
      process.stdout.write(table([['ID', 'TENANT', 'ADMIN', 'CREATED', 'EXPIRES', 'STATE'],
        ...tokens.map((t) => [t.id, t.tenant, t.admin ? 'yes' : 'no', t.created_at, t.expires_at ?? '-', t.state === 'revoked' ? `revoked ${t.revoked_at}` : t.state])]));
    });
  token.command('revoke')
    .description('revoke a token by id (from `token list`): refused from then on')
    .argument('<id>', 'token id (16 hex digits)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (id: string, o: { dataDir?: string }) => {
      if (!/^[0-9a-f]{16}$/.test(id)) throw new InputError({ field: 'ID', value: id, expected: 'a token id of 16 hex digits, as `gigafactory token list` shows' });
      const { token: t } = await client(o.dataDir).call<{ token: TokenJson }>('POST', `/v1/tokens/${id}/revoke`);
      process.stdout.write(`token ${t.id} (tenant ${t.tenant}) revoked at ${t.revoked_at}\n`);
    });

  program.command('audit')
    .description('the audit log of admin actions, newest first: token create/revoke, node state changes, cancels of other tenants\' jobs')
    .option('--limit <n>', 'most entries', '100')
    .option('--since <time>', 'only entries at or after this ISO 8601 time')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (o: { limit: string; since?: string; dataDir?: string }) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.since !== undefined ? { since: o.since } : {}) });
      const { entries } = await client(o.dataDir).call<{ entries: AuditJson[] }>('GET', `/v1/audit?${q}`);
      process.stdout.write(table([['TIME', 'ACTOR', 'TOKEN', 'ACTION', 'TARGET', 'DETAIL'],
        ...entries.map((e) => [e.time, e.actor, e.token_id ?? '-', e.action, e.target, e.detail])]));
    });
}
