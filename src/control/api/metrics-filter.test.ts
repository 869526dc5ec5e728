// /metrics needs a token and shows a tenant only its own series; the filter is generic over families.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Histogram } from 'prom-client';
import { localTopology } from '../cluster.ts';
import { ControlMetrics } from '../metrics.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { createApp } from './app.ts';
import { hashToken } from './auth.ts';
import { filterMetricsForTenant, labelValue } from './metrics-filter.ts';

test('labelValue reads a label among others, with escapes', () => {
  assert.equal(labelValue('m{a="x",tenant="t1"} 1', 'tenant'), 't1');
  assert.equal(labelValue('m{a="q\\"uo,te}",tenant="t2"} 1', 'tenant'), 't2');
  assert.equal(labelValue('m{a="x"} 1', 'tenant'), undefined);
  assert.equal(labelValue('m 1', 'tenant'), undefined);
});

test('filter: own series of every family kept with their HELP/TYPE; others\' and unlabelled totals dropped', () => {
  const text = [
    '# HELP gf_jobs Jobs', '# TYPE gf_jobs gauge', 'gf_jobs{state="queued"} 7',
    '# HELP gf_tenant_jobs Jobs by tenant', '# TYPE gf_tenant_jobs gauge', 'gf_tenant_jobs{state="queued",tenant="alpha"} 2', 'gf_tenant_jobs{state="queued",tenant="beta"} 5',
    '# HELP gf_wait_seconds Wait', '# TYPE gf_wait_seconds histogram', 'gf_wait_seconds_bucket{le="1",tenant="alpha"} 1', 'gf_wait_seconds_sum{tenant="alpha"} 0.5', 'gf_wait_seconds_count{tenant="alpha"} 1', 'gf_wait_seconds_count{tenant="beta"} 9',
    '# HELP gf_tokens_total Tokens', '# TYPE gf_tokens_total counter', 'gf_tokens_total{tenant="alphabet"} 3', '',
  ].join('\n');
  assert.equal(filterMetricsForTenant(text, 'alpha'), [
    '# HELP gf_tenant_jobs Jobs by tenant', '# TYPE gf_tenant_jobs gauge', 'gf_tenant_jobs{state="queued",tenant="alpha"} 2',
    '# HELP gf_wait_seconds Wait', '# TYPE gf_wait_seconds histogram', 'gf_wait_seconds_bucket{le="1",tenant="alpha"} 1', 'gf_wait_seconds_sum{tenant="alpha"} 0.5', 'gf_wait_seconds_count{tenant="alpha"} 1',
  ].join('\n') + '\n');
  assert.equal(filterMetricsForTenant(text, 'nobody'), '');
});

test('GET /metrics: 401 without a token; a tenant gets its own series only; an admin all; metricsPublic all without a token', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-metrics-'));
  const store = new SqliteStore(join(dir, 'db'));
  try {
    await store.addToken(hashToken('admin-tok'), { tenant: 'admin', admin: true }, 0);
    await store.addToken(hashToken('a-tok'), { tenant: 'alpha', admin: false }, 0);
    const metrics = new ControlMetrics(store);
    // A family with a tenant label, as new ones add (the filter knows nothing of it).
    const perTenant = new Counter({ name: 'gigafactory_test_tenant_submits_total', help: 'test', labelNames: ['tenant'], registers: [metrics.registry] });
    perTenant.inc({ tenant: 'alpha' }, 2);
    perTenant.inc({ tenant: 'beta' }, 5);
    new Histogram({ name: 'gigafactory_test_wait_seconds', help: 'test', labelNames: ['tenant'], buckets: [1], registers: [metrics.registry] }).observe({ tenant: 'beta' }, 0.5);
    metrics.submitted.inc(7);
    const topology = localTopology({ hostname: 'h', cpuCores: 2, memoryBytes: 1, gpus: [] }, 1);
    const get = (app: ReturnType<typeof createApp>, token?: string) => app.request('/metrics', { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const app = createApp({ store, topology, dataDir: dir, metrics });
    assert.equal((await get(app)).status, 401);
    assert.equal((await get(app, 'wrong')).status, 401);
    const alpha = await (await get(app, 'a-tok')).text();
    assert.match(alpha, /gigafactory_test_tenant_submits_total\{tenant="alpha"\} 2/);
    assert.doesNotMatch(alpha, /beta/);
    assert.doesNotMatch(alpha, /gigafactory_jobs_submitted_total/, 'totals over every tenant are for admins');
    assert.doesNotMatch(alpha, /gigafactory_test_wait_seconds/);
    const admin = await (await get(app, 'admin-tok')).text();
    assert.match(admin, /tenant="beta"\} 5/);
    assert.match(admin, /gigafactory_jobs_submitted_total 7/);
    const pub = await (await get(createApp({ store, topology, dataDir: dir, metrics, metricsPublic: true }))).text();
    assert.equal(pub, admin);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
