// Bearer tokens: random, shown once, stored only as a SHA-256 hash mapping to a tenant.
import { createHash, randomBytes } from 'node:crypto';
import { InputError } from '../../lib/errors.ts';

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
