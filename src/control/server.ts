/**
 * `gigafactory up`: the control plane in one process. Opens the SQLite store in the data dir,
 * registers this machine as the cluster, starts the local executor and the reconciler
 * (re-adopting or requeueing jobs left running), and serves the API on 127.0.0.1. On first
 * start it creates an admin token (written to <data-dir>/admin-token, mode 0600). It writes
 * <data-dir>/server.json so the CLI can find it. Closing leaves running jobs running: the
 * next `up` re-adopts them.
 */
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ClusterTopology, FleetSpec, PoolSpec } from '../fleet/types.ts';
import { fleetNodeRates } from './usage.ts';
import type { TenantQuota } from '../sched/types.ts';
import { ImpossibleError, InputError } from '../lib/errors.ts';
import { DEFAULT_SIM } from '../sim/types.ts';
import { createScheduler } from '../sched/index.ts';
import { createApp } from './api/app.ts';
import { hashToken, newToken } from './api/auth.ts';
import { localTopology } from './cluster.ts';
import type { Executor } from './executor.ts';
import { detectHost } from './host.ts';
import { LocalExecutor } from './local/executor.ts';
import { ControlMetrics } from './metrics.ts';
import { resolveSpares, type SparesFlag } from './lifecycle-flags.ts';
import { ProgressTracker } from './progress-watch.ts';
import { Reconciler } from './reconciler.ts';
import type { Provider } from './provider.ts';
import { LiveRenting, poolRows } from './renting.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/types.ts';

export interface ControlPlaneOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Split this machine into N local nodes (default 1). */
  readonly localNodes?: number;
  readonly policy?: string;
  /** Per-tenant GPU quotas for the scheduler (none: every tenant may borrow without limit). */
  readonly quotas?: readonly TenantQuota[];
  readonly tickMs?: number;
  readonly synchronous?: 'full' | 'normal';
  /** Store URL or path (postgres://... -> PostgreSQL; default <data-dir>/gigafactory.db, SQLite). */
  readonly store?: string;
  readonly log?: (line: string) => void;
  /** Hot spare nodes (`up --spares N|auto`, default 0) and the least gang GPUs that get one. */
  readonly spares?: SparesFlag;
  readonly spareMinGpus?: number;
  /** Renting (`up --rent-pool`): the pool, the provider that rents it, and when (default: as `sim`). */
  readonly rent?: { readonly pool: PoolSpec; readonly queueWaitThresholdSeconds?: number; readonly idleReleaseSeconds?: number };
  readonly provider?: Provider;
  /** Overrides for tests and benches. */
  readonly onCycle?: (ms: number) => void;
  readonly executor?: Executor;
  readonly topology?: ClusterTopology;
  /** Adds routes (the dashboard, src/web) to the API app before it listens. */
  readonly mount?: (app: Hono, parts: { readonly store: Store; readonly topology: ClusterTopology; readonly dataDir: string; readonly metrics: ControlMetrics; readonly quotas: readonly TenantQuota[] }) => void;
  /** The fleet the topology was built from: prices its nodes for GET /v1/usage; planned jobs are planned on it. */
  readonly fleet?: FleetSpec;
}

export interface ControlPlane {
  readonly url: string;
  readonly dataDir: string;
  /** Set only on the first start of a data dir (it is also in <data-dir>/admin-token). */
  readonly newAdminToken?: string;
  readonly store: Store;
  readonly reconciler: Reconciler;
  readonly topology: ClusterTopology;
  close(): Promise<void>;
}

export const serverInfoPath = (dataDir: string) => join(dataDir, 'server.json');
export const adminTokenPath = (dataDir: string) => join(dataDir, 'admin-token');

export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const scheduler = createScheduler(o.policy ?? 'default'); // an unknown policy fails before anything is opened
  if (o.rent && !o.provider) throw new InputError({ field: '--rent-pool', value: o.rent.pool.name, expected: 'a provider to rent from (today: --executor sim, which has a simulated one)' });
  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const release = lockDataDir(dataDir);
  const log = o.log ?? (() => undefined);
  const store = await openStore(o.store ?? join(dataDir, 'gigafactory.db'), { synchronous: o.synchronous ?? 'full' }).catch((e: unknown) => { release(); throw e; });
  let newAdminToken: string | undefined;
  if ((await store.countAdminTokens()) === 0) {
    // File first (0600, tmp + rename), then the store: a crash in between leaves no admin
    // token in the store, so the next start makes a new one instead of locking the user out.
    newAdminToken = newToken();
    const tmp = `${adminTokenPath(dataDir)}.tmp`;
    writeFileSync(tmp, `${newAdminToken}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, adminTokenPath(dataDir));
    await store.addToken(hashToken(newAdminToken), { tenant: 'admin', admin: true }, Date.now() / 1000);
  }
  const host = detectHost();
  const topology = o.topology ?? localTopology(host, o.localNodes ?? 1);
  const executor = o.executor ?? new LocalExecutor({ gpuCount: host.gpus.length });
  const metrics = new ControlMetrics(store, { topology, nodeUp: (name) => (executor as Executor).nodeUp?.(name) ?? true });
  let kick = (): void => undefined; // the reconciler, once it exists: rented nodes joined
  const renting = o.rent && o.provider ? new LiveRenting(topology, {
    provider: o.provider, pool: o.rent.pool, queueWaitThresholdSeconds: o.rent.queueWaitThresholdSeconds ?? DEFAULT_SIM.queueWaitThresholdSeconds,
    idleReleaseSeconds: o.rent.idleReleaseSeconds ?? DEFAULT_SIM.idleReleaseSeconds,
  }, () => Date.now() / 1000, () => kick()) : undefined;
  const reconciler = new Reconciler({ store, executor, scheduler, topology, dataDir, log, metrics, ...(o.quotas ? { quotas: o.quotas } : {}), ...(o.tickMs !== undefined ? { tickMs: o.tickMs } : {}),
    spares: resolveSpares(o.spares ?? 0, topology.nodes.filter((n) => !n.rented).length), ...(o.spareMinGpus !== undefined ? { spareMinGpus: o.spareMinGpus } : {}), ...(renting ? { renting } : {}), ...(o.onCycle ? { onCycle: o.onCycle } : {}) });
  kick = () => reconciler.kick();
  await reconciler.start();
  const progress = new ProgressTracker({ store, dataDir, log });
  progress.start();
  const app = createApp({ store, topology, dataDir, onChange: () => reconciler.kick(), log, metrics, progress, pools: () => poolRows(topology, renting), nodeRates: fleetNodeRates(topology.nodes, o.fleet), ...(o.fleet ? { fleet: o.fleet } : {}) });
  o.mount?.(app as unknown as Hono, { store, topology, dataDir, metrics, quotas: o.quotas ?? [] });
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((ok, fail) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: o.port ?? 8470 }, () => ok(s));
      s.once('error', fail);
    });
  } catch (e) {
    progress.stop();
    await reconciler.stop();
    await executor.close();
    await store.close();
    release();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new ImpossibleError(`port ${o.port ?? 8470} on 127.0.0.1 is in use`, 'pick another with --port N, or --port 0 for a free one');
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  // Atomic (tmp + rename): a CLI polling for the file never reads half of it.
  writeFileSync(`${serverInfoPath(dataDir)}.tmp`, JSON.stringify({ url, pid: process.pid }) + '\n');
  renameSync(`${serverInfoPath(dataDir)}.tmp`, serverInfoPath(dataDir));
  log(`control plane on ${url}; data dir ${dataDir}; ${topology.nodes.length} node(s)`);
  let closed = false;
  return {
    url, dataDir, store, reconciler, topology, ...(newAdminToken !== undefined ? { newAdminToken } : {}),
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((ok) => { server.close(() => ok()); (server as { closeAllConnections?: () => void }).closeAllConnections?.(); });
      progress.stop();
      await reconciler.stop();
      await executor.close();
      await o.provider?.close();
      await store.close();
      rmSync(serverInfoPath(dataDir), { force: true });
      release();
    },
  };
}
