/**
 * `gigafactory up`: the control plane in one process. Opens the SQLite store in the data dir,
 * registers this machine as the cluster, starts the local executor and the reconciler
 * (re-adopting or requeueing jobs left running), and serves the API on 127.0.0.1. On first
 * start it creates an admin token (written to <data-dir>/admin-token, mode 0600). It writes
 * <data-dir>/server.json so the CLI can find it. Closing leaves running jobs running: the
 * next `up` re-adopts them.
 */
import { chmodSync, closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ClusterTopology, FleetSpec, PoolSpec } from '../fleet/types.ts';
import { fleetNodeRates } from './usage.ts';
import type { TenantQuota } from '../sched/types.ts';
import { ImpossibleError, InputError } from '../lib/errors.ts';
import { uploadTimeouts } from '../lib/http-timeouts.ts';
import { DEFAULT_SIM } from '../sim/types.ts';
import { createScheduler } from '../sched/index.ts';
import { createApp } from './api/app.ts';
import { hashToken, newToken } from './api/auth.ts';
import { localTopology } from './cluster.ts';
import type { Executor } from './executor.ts';
import { detectHost } from './host.ts';
import { LocalExecutor } from './local/executor.ts';
import { ControlMetrics } from './metrics.ts';
import { PendingBoard } from './pending-board.ts';
import { ProgressTracker } from './progress-watch.ts';
import { Reconciler } from './reconciler.ts';
import { listNodeRows, nodeStatuses } from './node-rows.ts';
import { lockDataDir, planeIdOf } from './data-dir-lock.ts';
import { Tenancy } from './tenancy.ts';
import { adminTokenPath, serverInfoPath, storePath } from './layout.ts';
import { resolveSpares, type SparesFlag } from './lifecycle-flags.ts';
import type { Provider } from './provider.ts';
import { LiveRenting, poolRows } from './renting.ts';
import { openStore } from './store/open.ts';
import { asStorageError } from './store/storage-errors.ts';
import type { Store } from './store/types.ts';
import { DeploymentController } from '../serve/deployment-controller.ts';

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
  /**
   * Cluster seconds per wall second: `up --executor sim --sim-speed` (default 1). The plane keeps
   * wall time; runtime estimates and the rent policy's durations are the cluster's (./cluster-time.ts).
   */
  readonly clusterSpeed?: number;
  /** Overrides for tests and benches. */
  readonly onCycle?: (ms: number) => void;
  readonly executor?: Executor;
  readonly topology?: ClusterTopology;
  /** Adds routes (the dashboard, src/web) to the API app before it listens. */
  readonly mount?: (app: Hono, parts: { readonly store: Store; readonly topology: ClusterTopology; readonly dataDir: string; readonly metrics: ControlMetrics; readonly quotas: readonly TenantQuota[]; readonly clusterSpeed?: number }) => void;
  /** Accept running every tenant's jobs as this process's user when it cannot switch users (not root). */
  readonly singleUser?: boolean;
  /** Unix user for the admin's jobs (default gf-admin, created on demand). */
  readonly adminUser?: string;
  /** Tenant -> existing Unix user its jobs run as (default gf-<tenant>, created on demand). */
  readonly runAs?: Readonly<Record<string, string>>;
  /** Roots outside the tenants' areas where workdir and checkpoint_dir may lie (`up --allow-path`). */
  readonly allowPaths?: readonly string[];
  /** Overrides whether ranks run as per-tenant users (default: when running as root). Tests. */
  readonly canSwitchUsers?: boolean;
  /** Period of the serve-deployment controller (default 1 s). */
  readonly deploymentTickMs?: number;
  /** Longest a client may take to send one request (default 30 s); slower uploads get 408. */
  readonly requestTimeoutMs?: number;
  /** Serve GET /metrics without a token, every series (default: a token; a tenant sees its own). */
  readonly metricsPublic?: boolean;
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

export { adminTokenPath, serverInfoPath } from './layout.ts';

const pick = <T extends object, K extends keyof T>(o: T, ...keys: K[]): Partial<Pick<T, K>> =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<Pick<T, K>>;

/** Makes the store's files readable by the plane alone (the WAL and journal hold its data too). */
function privateFiles(paths: readonly string[]): void {
  for (const p of paths) {
    try { chmodSync(p, 0o600); } catch { /* not there (yet): SQLite gives them the database's mode */ }
  }
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  // A read-only or full data dir is the machine's state, not a bug: one line, exit 2 at `up`.
  try { return await start(o); } catch (e) { throw asStorageError(e, `the data dir ${resolve(o.dataDir)}`); }
}

async function start(o: ControlPlaneOptions): Promise<ControlPlane> {
  const scheduler = createScheduler(o.policy ?? 'default'); // an unknown policy fails before anything is opened
  if (o.rent && !o.provider) throw new InputError({ field: '--rent-pool', value: o.rent.pool.name, expected: 'a provider to rent from (--executor sim has a simulated one; --executor local rents a pool with provider: oracle from Oracle Cloud)' });
  const dataDir = resolve(o.dataDir);
  const tenancy = new Tenancy({ dataDir, ...pick(o, 'singleUser', 'adminUser', 'canSwitchUsers'), ...(o.runAs ? { userMap: o.runAs } : {}) });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Private to the plane; where tenants' users run jobs they may pass through to their areas.
  chmodSync(dataDir, tenancy.switchUsers ? 0o711 : 0o700);
  const release = lockDataDir(dataDir);
  const log = o.log ?? (() => undefined);
  const planeId = planeIdOf(dataDir);
  const storeFile = o.store ?? storePath(dataDir);
  // Created 0600 before SQLite opens it: never readable by others, not even for a moment.
  if (!/^postgres(ql)?:/.test(storeFile)) closeSync(openSync(storeFile, 'a', 0o600));
  const store = await openStore(storeFile, { synchronous: o.synchronous ?? 'full' }).catch((e: unknown) => { release(); throw e; });
  if (!/^postgres(ql)?:/.test(storeFile)) privateFiles([storeFile, `${storeFile}-wal`, `${storeFile}-shm`, `${storeFile}-journal`]);
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
  // Executors that run processes (local, Slurm) take the plane's id and users; their ranks must reach the areas.
  if (executor.attachPlane) {
    try { tenancy.checkReachable(); } catch (e) { await store.close(); release(); throw e; }
    executor.attachPlane({ planeId, tenancy });
  }
  // A real provider records its rentals in the store and re-adopts those a previous plane left.
  if (o.rent && o.provider?.attach) {
    try { await o.provider.attach({ rentals: store.rentals, log }); } catch (e) { await store.close(); release(); throw e; }
  }
  const mode = tenancy.modeLine();
  if (mode) log(mode);
  // Nodes and pools as GET /v1/nodes and /v1/pools show them (read on scrape, once the reconciler exists).
  let spares = (): ReadonlySet<number> => new Set();
  // A node of the rent pool is there only while rented (`renting` exists once the reconciler's options are built).
  const rentedUp = o.rent && o.provider ? (i: number): boolean => renting?.isUp(i) ?? true : undefined;
  const executorNodeUp = (executor as Executor).nodeUp?.bind(executor);
  const nodeRepairUntil = (executor as Executor).nodeRepairUntil?.bind(executor);
  const metrics = new ControlMetrics(store, {
    topology, nodeUp: (name) => executorNodeUp?.(name) ?? true,
    nodes: async () => nodeStatuses(await listNodeRows(store, topology, executorNodeUp, nodeRepairUntil, rentedUp), spares()),
    ...(o.clusterSpeed !== undefined ? { clusterSpeed: o.clusterSpeed } : {}),
    pools: async () => (await poolRows(topology, renting)).map(({ pricePerGpuHourUsd, ...p }) => ({ ...p, ...(pricePerGpuHourUsd !== null ? { pricePerGpuHourUsd } : {}) })),
  });
  const pending = new PendingBoard();
  const nodeUp = (executor as Executor).nodeUp?.bind(executor);
  let kick = (): void => undefined; // the reconciler, once it exists: rented nodes joined
  const renting = o.rent && o.provider ? new LiveRenting(topology, {
    provider: o.provider, pool: o.rent.pool, queueWaitThresholdSeconds: o.rent.queueWaitThresholdSeconds ?? DEFAULT_SIM.queueWaitThresholdSeconds,
    idleReleaseSeconds: o.rent.idleReleaseSeconds ?? DEFAULT_SIM.idleReleaseSeconds, rentals: store.rentals, ...(o.clusterSpeed !== undefined ? { clusterSpeed: o.clusterSpeed } : {}),
  }, () => Date.now() / 1000, () => kick()) : undefined;
  // A provider that keeps no rentals of its own: those a previous plane left are closed (their cost stays).
  let restored = 0;
  try { restored = (await renting?.restore()) ?? 0; } catch (e) { await store.close(); release(); throw e; }
  if (restored) log(`renting: closed ${restored} rental(s) of ${o.rent!.pool.name} left by the previous plane (${o.provider!.name} nodes do not outlive it)`);
  const reconciler = new Reconciler({ store, executor, scheduler, topology, dataDir, log, metrics, pending, ...(o.quotas ? { quotas: o.quotas } : {}), ...(o.tickMs !== undefined ? { tickMs: o.tickMs } : {}),
    ...(o.clusterSpeed !== undefined ? { clusterSpeed: o.clusterSpeed } : {}),
    spares: resolveSpares(o.spares ?? 0, topology.nodes.filter((n) => !n.rented).length), ...(o.spareMinGpus !== undefined ? { spareMinGpus: o.spareMinGpus } : {}), ...(renting ? { renting } : {}), ...(o.onCycle ? { onCycle: o.onCycle } : {}) });
  kick = () => reconciler.kick();
  spares = () => new Set(reconciler.spareNodes);
  await reconciler.start();
  const progress = new ProgressTracker({ store, dataDir, log });
  progress.start();
  const deployments = new DeploymentController({ store, topology, dataDir, onChange: () => reconciler.kick(), log, ...(o.deploymentTickMs !== undefined ? { tickMs: o.deploymentTickMs } : {}) });
  deployments.start();
  const app = createApp({ store, topology, dataDir, onChange: () => reconciler.kick(), log, metrics, progress, deployments, pending, pools: () => poolRows(topology, renting), ...(nodeUp ? { nodeUp } : {}), ...(nodeRepairUntil ? { nodeRepairUntil } : {}), ...(rentedUp ? { rentedUp } : {}), spares: () => spares(), nodeRates: fleetNodeRates(topology.nodes, o.fleet), ...(o.clusterSpeed !== undefined ? { clusterSpeed: o.clusterSpeed } : {}), ...(renting ? { rentedPoolBills: async (since?: number) => [await renting.bill(since)] } : {}), ...(o.fleet ? { fleet: o.fleet } : {}), tenancy, logsAsTenant: executor.attachPlane !== undefined, allowPaths: (o.allowPaths ?? []).map((p) => resolve(p)), ...(o.metricsPublic ? { metricsPublic: true } : {}) });
  o.mount?.(app as unknown as Hono, { store, topology, dataDir, metrics, quotas: o.quotas ?? [], ...(o.clusterSpeed !== undefined ? { clusterSpeed: o.clusterSpeed } : {}) });
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((ok, fail) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: o.port ?? 8470, serverOptions: uploadTimeouts(o.requestTimeoutMs) }, () => ok(s));
      s.once('error', fail);
    });
  } catch (e) {
    await deployments.stop();
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
      await deployments.stop();
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
