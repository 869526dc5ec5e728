/**
 * Renting from Oracle Cloud: a rented pool with `provider: oracle` launches bare-metal GPU
 * instances through the official OCI TypeScript SDK (oci-core's ComputeClient): LaunchInstance
 * with the pool's shape, availability domain, compartment, subnet and image; GetInstance until
 * RUNNING; TerminateInstance on release. Each instance is named after the fleet node it becomes
 * (displayName) and tagged with its pool, so a release finds it by name.
 *
 * Credentials follow OCI's own conventions: a profile of an OCI config file (~/.oci/config by
 * default) or instance principals; only the pool's parameters go in the fleet file. Tested only
 * against the local stand-in in ./oci-standin.ts, never against Oracle Cloud itself.
 *
 * The SDK (tens of MB of CommonJS) is loaded on first use, not at import: every CLI command
 * imports this file through its command group, and loading the SDK eagerly cost each
 * `gigafactory` call about 0.5 s of CPU.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type * as common from 'oci-common';
import type * as core from 'oci-core';
import type { PoolSpec } from '../../fleet/types.ts';
import { InputError } from '../../lib/errors.ts';

export interface OciPoolConfig {
  readonly pool: string;
  readonly compartmentId: string;
  readonly availabilityDomain: string;
  readonly shape: string;
  readonly subnetId?: string;
  readonly imageId?: string;
  readonly auth: 'config' | 'instance_principal';
  readonly configFile: string;
  readonly profile: string;
  readonly endpoint?: string;
  /** Where the config file and profile came from, for errors (default: the pool's fields). */
  readonly configFileField?: string;
  readonly profileField?: string;
}

/** `up --oci-config FILE --oci-profile NAME`: they win over the pool's oci_config_file / oci_profile. */
export interface OciAuthFlags {
  readonly configFile?: string;
  readonly profile?: string;
}

/** The pool's OCI parameters; a missing one is an error naming the fleet field. */
export function ociPoolConfig(pool: PoolSpec, home: string = homedir(), flags: OciAuthFlags = {}): OciPoolConfig {
  const c = pool.providerConfig ?? {};
  const missing = (['compartment_id', 'availability_domain', 'shape'] as const).filter((k) => c[k] === undefined);
  if (missing.length > 0) {
    throw new InputError(missing.map((k) => ({
      field: `pools[${pool.name}].${k}`, expected: `the pool's OCI ${k.replace('_id', ' OCID').replace('_', ' ')} in the fleet file (provider: oracle launches instances with it)`,
    })));
  }
  return {
    pool: pool.name, compartmentId: c['compartment_id']!, availabilityDomain: c['availability_domain']!, shape: c['shape']!,
    ...(c['subnet_id'] !== undefined ? { subnetId: c['subnet_id'] } : {}),
    ...(c['image_id'] !== undefined ? { imageId: c['image_id'] } : {}),
    auth: c['oci_auth'] === 'instance_principal' ? 'instance_principal' : 'config',
    configFile: flags.configFile ?? c['oci_config_file'] ?? join(home, '.oci', 'config'),
    profile: flags.profile ?? c['oci_profile'] ?? 'DEFAULT',
    ...(flags.configFile !== undefined ? { configFileField: '--oci-config' } : {}),
    ...(flags.profile !== undefined ? { profileField: '--oci-profile' } : {}),
    ...(c['oci_endpoint'] !== undefined ? { endpoint: c['oci_endpoint'] } : {}),
  };
}

type OciSdk = { readonly common: typeof common; readonly core: typeof core };
let sdkLoading: Promise<OciSdk> | undefined;
/** oci-common and oci-core, imported once, on first need. */
function ociSdk(): Promise<OciSdk> {
  sdkLoading ??= Promise.all([import('oci-common'), import('oci-core')]).then(([c, k]) => ({ common: c, core: k }));
  return sdkLoading;
}

/** Credentials as OCI's tools find them; an unreadable file or missing profile names the file. */
export async function ociAuthentication(cfg: OciPoolConfig): Promise<common.AuthenticationDetailsProvider> {
  const { common } = await ociSdk();
  if (cfg.auth === 'instance_principal') return new common.InstancePrincipalsAuthenticationDetailsProviderBuilder().build();
  const field = cfg.configFileField ?? `pools[${cfg.pool}].oci_config_file`;
  try { accessSync(cfg.configFile, constants.R_OK); } catch (e) {
    throw new InputError({ field, value: cfg.configFile, expected: `a readable OCI config file (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}); create one with \`oci setup config\`, point --oci-config (or the pool's oci_config_file) at yours, or set oci_auth: instance_principal` });
  }
  const profiles = [...readFileSync(cfg.configFile, 'utf8').matchAll(/^\s*\[([^\]]+)\]\s*$/gm)].map((m) => m[1]!);
  if (!profiles.includes(cfg.profile)) {
    throw new InputError({ field: cfg.profileField ?? `pools[${cfg.pool}].oci_profile`, value: cfg.profile, expected: `a profile of ${cfg.configFile}: ${profiles.join(', ') || 'it has none'} (pick one with --oci-profile NAME, or add [${cfg.profile}] with \`oci setup config\`)` });
  }
  try {
    return new common.ConfigFileAuthenticationDetailsProvider(cfg.configFile, cfg.profile);
  } catch (e) {
    throw new InputError({ field, value: cfg.configFile, expected: `an OCI config file whose profile ${cfg.profile} has user, fingerprint, tenancy, region and a readable key_file (${(e as Error).message})` });
  }
}

/** A provider request OCI refused or that did not finish in time; the node stays unprovisioned. */
export class OciProvisionError extends Error {
  constructor(readonly node: string, message: string, readonly serviceCode?: string) {
    super(message);
    this.name = 'OciProvisionError';
  }
}

export interface OciInstance {
  readonly node: string;
  readonly ocid: string;
  readonly launchedAt: string;
  readonly state: string;
}

export interface OciProviderOptions {
  readonly authentication: common.AuthenticationDetailsProvider;
  /** Seconds between GetInstance polls (default 10). */
  readonly pollSeconds?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly nowMs?: () => number;
}

// Duck-typed: the SDK's retrier may hand back an OciError from another copy of the module.
const isOciError = (e: unknown): e is { statusCode: number; serviceCode: string; message: string } =>
  typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number' && typeof (e as { serviceCode?: unknown }).serviceCode === 'string';

const describe = (e: unknown): { message: string; code?: string } => {
  if (isOciError(e)) {
    const capacity = /out of (host )?capacity/i.test(e.message);
    return { message: `${capacity ? 'out of host capacity: ' : ''}${e.serviceCode} (HTTP ${e.statusCode}): ${e.message}`, code: e.serviceCode };
  }
  return { message: (e as Error).message };
};

export class OciProvider {
  private clientLoading: Promise<core.ComputeClient> | undefined;
  private readonly authentication: common.AuthenticationDetailsProvider;
  private readonly pollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(readonly cfg: OciPoolConfig, o: OciProviderOptions) {
    this.authentication = o.authentication;
    this.pollMs = (o.pollSeconds ?? 10) * 1000;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
    this.now = o.nowMs ?? (() => Date.now());
  }

  /** The SDK's ComputeClient, made on first call (the SDK loads then). */
  private client(): Promise<core.ComputeClient> {
    this.clientLoading ??= ociSdk().then(({ common, core }) => {
      // No SDK retries: a refused launch (out of capacity) is reported at once, the caller decides.
      const client = new core.ComputeClient({ authenticationDetailsProvider: this.authentication }, { retryConfiguration: common.NoRetryConfigurationDetails });
      if (this.cfg.endpoint !== undefined) client.endpoint = this.cfg.endpoint;
      return client;
    });
    return this.clientLoading;
  }

  /** LaunchInstance for one fleet node; resolves once OCI accepted it (PROVISIONING). */
  async launch(node: string): Promise<OciInstance> {
    const details: core.models.LaunchInstanceDetails = {
      availabilityDomain: this.cfg.availabilityDomain, compartmentId: this.cfg.compartmentId, shape: this.cfg.shape, displayName: node,
      freeformTags: { 'gigafactory-pool': this.cfg.pool, 'gigafactory-node': node },
      ...(this.cfg.imageId !== undefined ? { sourceDetails: { sourceType: 'image', imageId: this.cfg.imageId } as core.models.InstanceSourceViaImageDetails } : {}),
      ...(this.cfg.subnetId !== undefined ? { createVnicDetails: { subnetId: this.cfg.subnetId } } : {}),
    };
    try {
      const r = await (await this.client()).launchInstance({ launchInstanceDetails: details });
      return { node, ocid: r.instance.id, launchedAt: new Date(r.instance.timeCreated).toISOString(), state: r.instance.lifecycleState };
    } catch (e) {
      const d = describe(e);
      throw new OciProvisionError(node, `OCI LaunchInstance for ${node} (${this.cfg.shape} in ${this.cfg.availabilityDomain}) failed: ${d.message}`, d.code);
    }
  }

  /**
   * GetInstance until RUNNING; past `timeoutSeconds` (the pool's lead time plus boot) it fails.
   * Once `signal` aborts it stops polling and rejects with the signal's reason.
   */
  async waitRunning(instance: OciInstance, timeoutSeconds: number, signal?: AbortSignal): Promise<OciInstance> {
    const deadline = this.now() + timeoutSeconds * 1000;
    for (;;) {
      signal?.throwIfAborted();
      let state: string;
      try {
        state = (await (await this.client()).getInstance({ instanceId: instance.ocid })).instance.lifecycleState;
      } catch (e) {
        throw new OciProvisionError(instance.node, `OCI GetInstance ${instance.ocid} (${instance.node}) failed: ${describe(e).message}`, describe(e).code);
      }
      if (state === 'RUNNING') return { ...instance, state };
      if (state === 'TERMINATING' || state === 'TERMINATED') throw new OciProvisionError(instance.node, `instance ${instance.ocid} (${instance.node}) is ${state} before it ran`);
      if (this.now() >= deadline) {
        throw new OciProvisionError(instance.node, `instance ${instance.ocid} (${instance.node}) still ${state} after ${timeoutSeconds} s (the pool's lead time plus boot); it is being terminated`);
      }
      const nap = this.sleep(Math.min(this.pollMs, Math.max(0, deadline - this.now())));
      await (signal === undefined ? nap : Promise.race([nap, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]));
    }
  }

  /** Launch and wait; an instance that does not come up in time is terminated, not left billing. */
  async provision(node: string, timeoutSeconds: number): Promise<OciInstance> {
    const inst = await this.launch(node);
    try {
      return await this.waitRunning(inst, timeoutSeconds);
    } catch (e) {
      await this.terminate(inst.ocid).catch(() => undefined);
      throw e;
    }
  }

  /** GetInstance; undefined when OCI no longer knows it (404). */
  async instance(node: string, ocid: string): Promise<OciInstance | undefined> {
    try {
      const i = (await (await this.client()).getInstance({ instanceId: ocid })).instance;
      return { node, ocid: i.id, launchedAt: new Date(i.timeCreated).toISOString(), state: i.lifecycleState };
    } catch (e) {
      if (isOciError(e) && e.statusCode === 404) return undefined;
      throw new OciProvisionError(node, `OCI GetInstance ${ocid} (${node}) failed: ${describe(e).message}`, describe(e).code);
    }
  }

  /** The live (not terminating) instances named after `node`, oldest first. */
  async liveInstances(node: string): Promise<OciInstance[]> {
    let items: core.models.Instance[];
    try {
      items = (await (await this.client()).listInstances({ compartmentId: this.cfg.compartmentId, displayName: node })).items;
    } catch (e) {
      throw new OciProvisionError(node, `OCI ListInstances for ${node} failed: ${describe(e).message}`, describe(e).code);
    }
    return items.filter((i) => i.lifecycleState !== 'TERMINATED' && i.lifecycleState !== 'TERMINATING')
      .map((i) => ({ node, ocid: i.id, launchedAt: new Date(i.timeCreated).toISOString(), state: i.lifecycleState }))
      .sort((a, b) => a.launchedAt.localeCompare(b.launchedAt));
  }

  async terminate(ocid: string): Promise<void> {
    await (await this.client()).terminateInstance({ instanceId: ocid });
  }

  /** Terminates every live instance named after `node`; returns their OCIDs. */
  async release(node: string): Promise<string[]> {
    const live = await this.liveInstances(node);
    for (const i of live) await this.terminate(i.ocid);
    return live.map((i) => i.ocid);
  }
}
