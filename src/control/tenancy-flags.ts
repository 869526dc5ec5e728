// `up --allow-path DIR --single-user --admin-user USER --run-as TENANT=USER`, validated at the edge.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../lib/errors.ts';
import { checkTenantName } from './api/auth.ts';
import { KERNEL_ROOTS, isWithin } from './job-paths.ts';

export interface TenancyFlags { readonly allowPath?: readonly string[]; readonly singleUser?: boolean; readonly adminUser?: string; readonly runAs?: readonly string[] }

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

export function tenancyFlags(f: TenancyFlags): { allowPaths: string[]; singleUser?: boolean; adminUser?: string; runAs?: Record<string, string> } {
  const allowPaths = (f.allowPath ?? []).map((p) => {
    const abs = resolve(p);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new InputError({ field: '--allow-path', value: p, expected: 'an existing directory' });
    if (abs === '/' || KERNEL_ROOTS.some((r) => isWithin(abs, r))) throw new InputError({ field: '--allow-path', value: p, expected: 'a directory that is not /, /proc, /sys or /dev (or below them)' });
    return abs;
  });
  if (f.adminUser !== undefined && !USER.test(f.adminUser)) throw new InputError({ field: '--admin-user', value: f.adminUser, expected: 'a Unix user name (lowercase letters, digits, "_" or "-", at most 32)' });
  const runAs: Record<string, string> = {};
  for (const m of f.runAs ?? []) {
    const [tenant, user, ...rest] = m.split('=');
    if (user === undefined || rest.length > 0 || !USER.test(user)) throw new InputError({ field: '--run-as', value: m, expected: 'TENANT=USER, e.g. --run-as research=alice' });
    checkTenantName(tenant, '--run-as');
    runAs[tenant!] = user;
  }
  return { allowPaths, ...(f.singleUser ? { singleUser: true } : {}), ...(f.adminUser !== undefined ? { adminUser: f.adminUser } : {}), ...(Object.keys(runAs).length > 0 ? { runAs } : {}) };
}
