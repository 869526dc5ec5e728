/**
 * Where a job may put its files: the path rules applied once, at the API, which also makes
 * the paths absolute (relative `checkpoint_dir` against `workdir`; no `workdir`: the tenant's
 * area). A tenant's `workdir` and `checkpoint_dir` lie inside its own area
 * (`<data-dir>/tenants/<tenant>/`) or under a root the admin allows (`up --allow-path DIR`).
 * Nobody's lie in the rest of the data dir (the store, tokens, other tenants' areas) or under
 * /proc, /sys or /dev (kernel files: `mkdir -p /proc/self/x` never ends). The admin's jobs may
 * use any other path; like every job, they run as an unprivileged user, so the OS still
 * decides what they can touch.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError } from '../lib/errors.ts';
import type { JobSpec } from './job-spec.ts';
import { tenantDir } from './layout.ts';

export const KERNEL_ROOTS = ['/proc', '/sys', '/dev'] as const;

export interface PathRules {
  readonly dataDir: string;
  /** Absolute roots outside the tenants' areas that jobs may use. */
  readonly allowPaths: readonly string[];
}

/** True when `path` is `root` or lies below it (both absolute and normalized). */
export function isWithin(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Validates and absolutizes workdir and checkpoint_dir for a job of `tenant`; throws InputError naming the field. */
export function checkJobPaths(spec: JobSpec, who: { readonly tenant: string; readonly admin: boolean }, rules: PathRules): JobSpec {
  const area = tenantDir(rules.dataDir, who.tenant);
  if (spec.workdir !== undefined && !isAbsolute(spec.workdir)) {
    throw new InputError({ field: 'workdir', value: spec.workdir, expected: `an absolute path (your area is ${area})` });
  }
  const workdir = resolve(spec.workdir ?? area);
  const checkpointDir = spec.checkpoint_dir === undefined ? undefined : resolve(workdir, spec.checkpoint_dir);
  const allowed = rules.allowPaths.length > 0 ? `, or under ${rules.allowPaths.join(', ')}` : ' (the admin may allow more roots with `up --allow-path DIR`)';
  for (const [field, path, given] of [['workdir', workdir, spec.workdir], ['checkpoint_dir', checkpointDir, spec.checkpoint_dir]] as const) {
    if (path === undefined) continue;
    const kernel = KERNEL_ROOTS.find((r) => isWithin(path, r));
    if (kernel !== undefined) throw new InputError({ field, value: given, expected: `a directory outside /proc, /sys and /dev (${path} is under ${kernel}, kernel files, never a job directory); e.g. ${area}` });
    const inArea = isWithin(path, area);
    if (!inArea && isWithin(path, rules.dataDir)) {
      throw new InputError({ field, value: given, expected: `a path outside the control plane's data dir ${rules.dataDir}, except your own area ${area}` });
    }
    if (!who.admin && !inArea && !rules.allowPaths.some((r) => isWithin(path, r))) {
      throw new InputError({ field, value: given, expected: `a path inside your area ${area}${allowed}` });
    }
  }
  // Outside the area a workdir must exist here (inside it, the rank's user creates nothing: a missing one fails the rank with 127).
  if (!isWithin(workdir, area) && !existsSync(workdir)) {
    throw new InputError({ field: 'workdir', value: spec.workdir, expected: 'an existing directory on the control plane\'s machine' });
  }
  return { ...spec, workdir, ...(checkpointDir !== undefined ? { checkpoint_dir: checkpointDir } : {}) };
}
