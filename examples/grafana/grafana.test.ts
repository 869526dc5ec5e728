// The Grafana dashboard queries only series the control plane and the gateway expose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlMetrics } from '../../src/control/metrics.ts';
import type { Store } from '../../src/control/store/types.ts';
import { GatewayMetrics } from '../../src/serve/gateway-metrics.ts';

const dashboard = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'gigafactory.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };

test('every series in examples/grafana/gigafactory.json is exposed, and every required family is graphed', () => {
  const noStore = { startAttempt: async () => undefined, endAttempt: async () => undefined } as unknown as Store;
  const families = [...new ControlMetrics(noStore).registry.getMetricsAsArray(), ...new GatewayMetrics(() => []).registry.getMetricsAsArray()]
    .map((m) => m.name);
  const exposed = new Set(families.flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]));
  const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/gigafactory_[a-z_]+/g) ?? [])));
  for (const name of used) assert.ok(exposed.has(name), `the dashboard queries ${name}, which nothing exposes`);
  for (const f of families.filter((n) => !['gigafactory_attempts_ended_total', 'gigafactory_jobs_submitted_total'].includes(n))) {
    assert.ok([...used].some((u) => u === f || u.startsWith(`${f}_`)), `${f} is not on the dashboard`);
  }
});
