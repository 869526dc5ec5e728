/**
 * For tests of the OCI provider against the local stand-in (./oci-standin.ts): an RSA key pair
 * with OCI's key fingerprint, an OCI config file in OCI's own format, and a fleet file whose
 * rented pool (provider: oracle) points at the stand-in.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OciKeys { readonly privatePem: string; readonly publicPem: string; readonly fingerprint: string }

export function ociKeyPair(): OciKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const fingerprint = createHash('md5').update(der).digest('hex').match(/../g)!.join(':');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), fingerprint };
}

/** An OCI config file (profile DEFAULT) with its key file, in `dir`; returns its path. */
export function writeOciConfig(dir: string, keys: { readonly privatePem: string; readonly fingerprint: string }): string {
  writeFileSync(join(dir, 'key.pem'), keys.privatePem, { mode: 0o600 });
  const file = join(dir, 'config');
  writeFileSync(file, ['[DEFAULT]', 'user=ocid1.user.oc1..standin', `fingerprint=${keys.fingerprint}`, 'tenancy=ocid1.tenancy.oc1..standin', 'region=us-ashburn-1', `key_file=${join(dir, 'key.pem')}`, ''].join('\n'));
  return file;
}

/** The pool's OCI fields as a fleet file gives them. */
export const OCI_POOL_FIELDS = { compartment_id: 'ocid1.compartment.oc1..gf', availability_domain: 'Uocm:US-ASHBURN-AD-1', shape: 'BM.GPU.H100.8', subnet_id: 'ocid1.subnet.oc1..gf', image_id: 'ocid1.image.oc1..gf' };

/** A fleet file with one owned hall and one oracle pool (`fields` are its OCI keys); returns its path. */
export function writeOciFleet(dir: string, fields: Readonly<Record<string, string>>, pool: { name?: string; provider?: string; maxNodes?: number; leadTimeHours?: number } = {}): string {
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, [
    'name: oci-burst', 'halls:', '  - name: hall-a', '    node_type: hgx-h100', '    nodes: 1', 'pools:', `  - name: ${pool.name ?? 'oci'}`, `    provider: ${pool.provider ?? 'oracle'}`,
    '    node_type: oci-bm-gpu-h100-8', `    max_nodes: ${pool.maxNodes ?? 2}`, '    price_per_gpu_hour_usd: 10', `    lead_time_hours: ${pool.leadTimeHours ?? 0.5}`,
    ...Object.entries(fields).map(([k, v]) => `    ${k}: ${v}`), '',
  ].join('\n'));
  return file;
}
