// `gigafactory up --rent-pool` with bad inputs: each exits 2 with one line naming the flag or
// fleet field and the fix, before the plane opens its store (what it holds is kept). No OCI
// request goes out: these fail while the provider is being configured.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseJobSpec } from '../../control/job-spec.ts';
import { OCI_POOL_FIELDS, ociKeyPair, writeOciConfig, writeOciFleet } from '../../control/providers/oci-test-kit.ts';
import { SqliteStore } from '../../control/store/sqlite.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('up --rent-pool: a missing OCI config, an unknown profile, a pool without its OCI fields or provider, slurm: exit 2 naming the flag or field and the fix; the store keeps its job', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-up-rent-'));
  try {
    const data = join(dir, 'data');
    mkdirSync(data, { mode: 0o700 });
    const seeded = new SqliteStore(join(data, 'gigafactory.db'));
    const job = parseJobSpec({ name: 'kept', command: ['true'] });
    await seeded.submitJob({ tenant: 'admin', spec: job, submitSeconds: 1 });
    await seeded.close();
    const sub = (name: string) => { const d = join(dir, name); mkdirSync(d); return d; };
    const config = writeOciConfig(dir, ociKeyPair());
    const good = writeOciFleet(sub('good'), { ...OCI_POOL_FIELDS, oci_endpoint: 'http://127.0.0.1:9' });
    const up = (...args: string[]) => spawnSync(join(root, 'gigafactory'), ['up', '--data-dir', data, '--port', '0', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const cases: { args: string[]; want: RegExp[] }[] = [
      { args: ['--rent-pool', good, '--oci-config', join(dir, 'nope')], want: [/--oci-config: got ".*nope"/, /readable OCI config file \(ENOENT\)/, /oci setup config/] },
      { args: ['--rent-pool', good, '--oci-config', config, '--oci-profile', 'PROD'], want: [/--oci-profile: got "PROD"/, /a profile of .*config: DEFAULT/] },
      { args: ['--rent-pool', writeOciFleet(sub('bare'), { availability_domain: 'AD-1' }), '--oci-config', config], want: [/pools\[oci\]\.compartment_id/, /pools\[oci\]\.shape/, /in the fleet file/] },
      { args: ['--rent-pool', writeOciFleet(sub('aws'), OCI_POOL_FIELDS, { provider: 'aws' }), '--oci-config', config], want: [/pools\[oci\]\.provider: got "aws"/, /provider: oracle/, /--executor sim/] },
      { args: ['--executor', 'slurm', '--rent-pool', writeOciFleet(sub('slurm'), OCI_POOL_FIELDS)], want: [/--rent-pool/, /slurm config FLEET --cloud/] },
      { args: ['--oci-profile', 'PROD'], want: [/--oci-profile.*only with --rent-pool/] },
    ];
    for (const c of cases) {
      const r = up(...c.args);
      assert.equal(r.status, 2, `${c.args.join(' ')}: ${r.stderr}`);
      for (const w of c.want) assert.match(r.stderr, w, c.args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const again = new SqliteStore(join(data, 'gigafactory.db'));
    try { assert.deepEqual((await again.listJobs({})).map((j) => [j.spec.name, j.state]), [['kept', 'queued']]); } finally { await again.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
