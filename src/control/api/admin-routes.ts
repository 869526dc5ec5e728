/**
 * Admin routes: tokens (create with an optional expiry, list, revoke) and the audit log.
 * Every change is recorded in the audit log (./audit.ts). Tokens are shown once at creation;
 * afterwards only their id (a prefix of their hash) appears.
 */
import type { Context, Hono } from 'hono';
import { InputError } from '../../lib/errors.ts';
import { TOKEN_ID_PATTERN } from '../store/admin-records.ts';
import type { Store, TokenInfo } from '../store/types.ts';
import { recordAudit, type Actor } from './audit.ts';
import { checkTenantName, hashToken, newToken } from './auth.ts';
import type { Tenancy } from '../tenancy.ts';
import { HttpError } from './errors.ts';
import { tokenIdOf } from '../store/admin-records.ts';

export type ApiEnv = { Variables: { tenant: string; admin: boolean; tokenId: string } };

/** Longest token life: 10 years (a token without expiry is also allowed). */
export const MAX_TOKEN_LIFE_SECONDS = 10 * 365 * 86_400;

const iso = (s: number | undefined) => (s === undefined ? null : new Date(s * 1000).toISOString());

export const tokenJson = (t: TokenInfo, nowSeconds: number) => ({
  id: t.id, tenant: t.tenant, admin: t.admin, created_at: iso(t.createdSeconds), expires_at: iso(t.expiresSeconds), revoked_at: iso(t.revokedSeconds),
  state: t.revokedSeconds !== undefined ? 'revoked' : t.expiresSeconds !== undefined && nowSeconds >= t.expiresSeconds ? 'expired' : 'active',
});

export const actorOf = (c: Context<ApiEnv>): Actor => ({ tenant: c.get('tenant'), tokenId: c.get('tokenId') });

function requireAdmin(c: Context<ApiEnv>, what: string): void {
  if (!c.get('admin')) throw new HttpError(403, `only an admin token may ${what}`);
}

export function registerAdminRoutes(app: Hono<ApiEnv>, o: { store: Store; now: () => number; readJson: (req: Request) => Promise<unknown>; tenancy?: Tenancy }): void {
  app.post('/v1/tokens', async (c) => {
    requireAdmin(c, 'create tokens');
    const body = await o.readJson(c.req.raw);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError({ field: '(body)', value: body, expected: 'an object {"tenant": NAME, "admin"?: boolean, "expires_in_seconds"?: N}' });
    const { tenant, admin, expires_in_seconds: expiresIn, ...rest } = body as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new InputError({ field: unknown, value: rest[unknown], expected: 'no such field; known fields: tenant, admin, expires_in_seconds' });
    checkTenantName(tenant);
    if (admin !== undefined && typeof admin !== 'boolean') throw new InputError({ field: 'admin', value: admin, expected: 'true or false' });
    if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 60 || expiresIn > MAX_TOKEN_LIFE_SECONDS)) {
      throw new InputError({ field: 'expires_in_seconds', value: expiresIn, expected: `a number of seconds from 60 to ${MAX_TOKEN_LIFE_SECONDS} (10 years), or no field for a token that does not expire` });
    }
    // Single-user mode (no per-tenant Unix users) admits one tenant only.
    const refusal = await o.tenancy?.admitTenant(tenant as string);
    if (refusal !== undefined) throw new HttpError(409, refusal);
    const token = newToken();
    const now = o.now();
    const expiresSeconds = expiresIn === undefined ? undefined : now + expiresIn;
    await o.store.addToken(hashToken(token), { tenant: tenant as string, admin: admin === true, ...(expiresSeconds !== undefined ? { expiresSeconds } : {}) }, now);
    const id = tokenIdOf(hashToken(token));
    await recordAudit(o.store, actorOf(c), 'token.create', id, `tenant ${tenant as string}${admin === true ? ', admin' : ''}${expiresSeconds !== undefined ? `, expires ${iso(expiresSeconds)}` : ''}`, now);
    return c.json({ id, tenant, admin: admin === true, expires_at: iso(expiresSeconds), token }, 201);
  });

  app.get('/v1/tokens', async (c) => {
    requireAdmin(c, 'list tokens');
    const now = o.now();
    return c.json({ tokens: (await o.store.listTokens()).map((t) => tokenJson(t, now)) });
  });

  app.post('/v1/tokens/:id/revoke', async (c) => {
    requireAdmin(c, 'revoke tokens');
    const id = c.req.param('id');
    if (!TOKEN_ID_PATTERN.test(id)) throw new InputError({ field: 'id', value: id, expected: 'a token id of 16 hex digits (`gigafactory token list` shows them)' });
    const now = o.now();
    const t = await o.store.revokeToken(id, now);
    if (!t) throw new HttpError(404, `no token with id ${id}; \`gigafactory token list\` shows them`);
    await recordAudit(o.store, actorOf(c), 'token.revoke', id, `tenant ${t.tenant}${t.admin ? ', admin' : ''}`, now);
    return c.json({ token: tokenJson(t, now) });
  });

  app.get('/v1/audit', async (c) => {
    requireAdmin(c, 'read the audit log');
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InputError({ field: 'limit', value: limitText, expected: 'an integer from 1 to 10000' });
    const sinceText = c.req.query('since');
    const sinceSeconds = sinceText === undefined ? 0 : Date.parse(sinceText) / 1000;
    if (!Number.isFinite(sinceSeconds)) throw new InputError({ field: 'since', value: sinceText, expected: 'an ISO 8601 time, e.g. 2026-12-01T00:00:00Z' });
    const entries = await o.store.listAudit({ limit, sinceSeconds });
    return c.json({ entries: entries.map((e) => ({ id: e.id, time: iso(e.seconds), actor: e.actor, token_id: e.tokenId ?? null, action: e.action, target: e.target, detail: e.detail })) });
  });
}
