// Bearer tokens: random, shown once, stored only as a SHA-256 hash mapping to a tenant.
import { createHash, randomBytes } from 'node:crypto';
import { InputError } from '../../lib/errors.ts';
import type { Store, TokenRecord } from '../store/types.ts';
import { HttpError } from './errors.ts';

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

/** The caller behind an `Authorization: Bearer TOKEN` header, else 401 saying how to get a token. */
export async function authenticate(store: Store, header: string | undefined, _nowSeconds: number): Promise<TokenRecord> {
  const m = header === undefined ? null : /^Bearer ([A-Za-z0-9_\-.~+/=]{1,512})$/.exec(header);
  if (!m) throw new HttpError(401, 'missing or malformed Authorization header; send "Authorization: Bearer TOKEN" (see <data-dir>/admin-token or `gigafactory token create`)');
  const rec = await store.findToken(hashToken(m[1]!));
  if (!rec) throw new HttpError(401, 'unknown token; create one with `gigafactory token create --tenant NAME`');
  return rec;
}
