// Bearer tokens: random, shown once, stored only as a SHA-256 hash mapping to a tenant.
import { createHash, randomBytes } from 'node:crypto';
import { InputError } from '../../lib/errors.ts';
import type { Store, TokenRecord } from '../store/types.ts';
import { HttpError } from './errors.ts';
import { tokenIdOf } from '../store/admin-records.ts';

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** A new token: `gf_` + 32 random bytes, base64url. */
export const newToken = (): string => `gf_${randomBytes(32).toString('base64url')}`;

export const TENANT_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function checkTenantName(tenant: unknown, field = 'tenant'): string {
  if (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant)) {
    throw new InputError({ field, value: tenant, expected: 'a tenant name of 1-63 lowercase letters, digits or "-" (e.g. "research")' });
  }
  return tenant;
}

/**
 * The caller behind an `Authorization: Bearer TOKEN` header, with its token's id; else 401
 * saying why (unknown, revoked, expired) and how to get a token.
 */
export async function authenticate(store: Store, header: string | undefined, nowSeconds: number): Promise<TokenRecord & { tokenId: string }> {
  const m = header === undefined ? null : /^Bearer ([A-Za-z0-9_\-.~+/=]{1,512})$/.exec(header);
  if (!m) throw new HttpError(401, 'missing or malformed Authorization header; send "Authorization: Bearer TOKEN" (see <data-dir>/admin-token or `gigafactory token create`)');
  const hash = hashToken(m[1]!);
  const rec = await store.findToken(hash);
  if (!rec) throw new HttpError(401, 'unknown token; create one with `gigafactory token create --tenant NAME`');
  const tokenId = tokenIdOf(hash);
  if (rec.revokedSeconds !== undefined) throw new HttpError(401, `token ${tokenId} was revoked at ${new Date(rec.revokedSeconds * 1000).toISOString()}; ask an admin for a new one (\`gigafactory token create\`)`);
  if (rec.expiresSeconds !== undefined && nowSeconds >= rec.expiresSeconds) throw new HttpError(401, `token ${tokenId} expired at ${new Date(rec.expiresSeconds * 1000).toISOString()}; ask an admin for a new one (\`gigafactory token create --expires 30d\`)`);
  return { ...rec, tokenId };
}
