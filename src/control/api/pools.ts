/**
 * GET /v1/pools: the cluster's capacity pools, owned halls and the rented pool, with what the
 * rented one has cost so far: `{pools:[{name, kind, nodes, provisionedNodes, pricePerGpuHourUsd,
 * rentedGpuHours, costUsd}]}`. Any valid token may read it (it says nothing about other tenants).
 */
import type { Hono } from 'hono';
import type { ClusterTopology } from '../../fleet/types.ts';
import { poolRows, type PoolRow } from '../renting.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerPoolRoutes<E extends { Variables: any }>(app: Hono<E>, o: { readonly topology: ClusterTopology; readonly pools?: () => Promise<PoolRow[]> }): void {
  app.get('/v1/pools', async (c) => c.json({ pools: o.pools ? await o.pools() : await poolRows(o.topology, undefined) }));
}
