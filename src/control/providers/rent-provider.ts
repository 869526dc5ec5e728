/**
 * The provider behind `gigafactory up --rent-pool POOL` on an executor that runs processes
 * (local): a pool with `provider: oracle` rents from Oracle Cloud (./oci-node-provider.ts) with
 * OCI's own credentials, `--oci-config FILE` (default: the pool's oci_config_file, else
 * ~/.oci/config) and `--oci-profile NAME` (default: the pool's oci_profile, else DEFAULT).
 * Everything is checked here, before the plane opens its store: a bad input exits 2 and
 * nothing stored is touched.
 */
import type { ClusterTopology, PoolSpec } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';
import type { Provider } from '../provider.ts';
import { ociAuthentication, ociPoolConfig, OciProvider, type OciAuthFlags } from './oci.ts';
import { OciNodeProvider, type OciNodeProviderOptions } from './oci-node-provider.ts';

/** Providers a live plane can rent from, by the pool's `provider`. */
export const RENT_PROVIDERS = ['oracle'] as const;

export interface RentProviderOptions extends OciAuthFlags, OciNodeProviderOptions {
  /** Seconds between GetInstance polls while an instance provisions (default 10). */
  readonly pollSeconds?: number;
  /** Home directory for ~/.oci/config (tests). */
  readonly home?: string;
}

export async function rentProviderFor(topology: ClusterTopology, pool: PoolSpec, o: RentProviderOptions = {}): Promise<Provider> {
  if (pool.provider !== 'oracle') {
    throw new InputError({ field: `pools[${pool.name}].provider`, value: pool.provider, expected: `a provider the live plane can rent from (${RENT_PROVIDERS.join(', ')}): a fleet file whose pool has provider: oracle and its OCI fields (compartment_id, availability_domain, shape, subnet_id, image_id); or --executor sim, whose provider is simulated` });
  }
  const pc = ociPoolConfig(pool, o.home, o);
  // Not from the pool's fields: from the flag or its default, so an error names the flag.
  const cfg = {
    ...pc, ...(o.configFile !== undefined || pool.providerConfig?.['oci_config_file'] === undefined ? { configFileField: '--oci-config' } : {}),
    ...(o.profile !== undefined || pool.providerConfig?.['oci_profile'] === undefined ? { profileField: '--oci-profile' } : {}),
  };
  const authentication = await ociAuthentication(cfg);
  const oci = new OciProvider(cfg, { authentication, ...(o.pollSeconds !== undefined ? { pollSeconds: o.pollSeconds } : {}), ...(o.nowMs ? { nowMs: o.nowMs } : {}) });
  return new OciNodeProvider(topology, pool, oci, o);
}
