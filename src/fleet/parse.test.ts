import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFleetYaml } from './parse.ts';
import { InputError, type InputIssue } from '../lib/errors.ts';

const GOOD = `name: t
halls:
  - name: hall-a
    node_type: hgx-h100
    nodes: 16
pools:
  - name: oci
    provider: oracle
    node_type: oci-bm-gpu-h100-8
    max_nodes: 4
    price_per_gpu_hour_usd: 10
    lead_time_hours: 48
network:
  switch_type: qm9700
  nic_gbps: 400
facility:
  pue: 1.3
`;

function issues(text: string): InputIssue[] {
  try {
    parseFleetYaml(text, 'f.yaml');
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.file, 'f.yaml');
    return [...e.issues];
  }
  assert.fail('expected the file to be rejected');
}

/** The one issue at `field`; asserts its line and that the message names the fix. */
function one(text: string, field: string, line: number | undefined, expected: RegExp, value?: unknown): void {
  const all = issues(text);
  const hit = all.find((i) => i.field === field);
  assert.ok(hit, `no issue for ${field}; got ${JSON.stringify(all)}`);
  assert.equal(hit.line, line);
  assert.match(hit.expected, expected);
  if (value !== undefined) assert.deepEqual(hit.value, value);
}

test('a valid file maps snake_case to the FleetSpec with defaults filled in', () => {
  const f = parseFleetYaml(GOOD, 'f.yaml');
  assert.equal(f.name, 't');
  assert.deepEqual(f.halls, [{ name: 'hall-a', nodeType: 'hgx-h100', nodes: 16 }]);
  assert.equal(f.pools[0]!.pricePerGpuHourUsd, 10);
  assert.equal(f.pools[0]!.minimumHours, 1);
  assert.equal(f.network.railOptimized, true);
  assert.equal(f.network.oversubscription, 1);
  assert.equal(f.facility.pue, 1.3);
  assert.ok(f.facility.electricityUsdPerKwh > 0);
});

const cases: { name: string; text: string; field: string; line: number | undefined; expected: RegExp; value?: unknown }[] = [
  { name: 'YAML syntax error', text: 'name: [unclosed\nhalls: 3\n', field: '(yaml syntax)', line: 2, expected: /valid YAML/ },
  { name: 'document not a mapping', text: '- a\n- b\n', field: '(document)', line: 1, expected: /mapping/ },
  { name: 'missing name', text: GOOD.replace('name: t\n', ''), field: 'name', line: 1, expected: /string/ },
  { name: 'empty name', text: GOOD.replace('name: t', 'name: ""'), field: 'name', line: 1, expected: /non-empty string/, value: '' },
  { name: 'unknown top-level field', text: GOOD + 'colour: red\n', field: 'colour', line: 18, expected: /known field.*halls/ },
  { name: 'halls not a list', text: 'name: t\nhalls: 3\n', field: 'halls', line: 2, expected: /list/, value: 3 },
  { name: 'hall item not a mapping', text: 'name: t\nhalls:\n  - just-a-string\n', field: 'halls[0]', line: 3, expected: /mapping/ },
  { name: 'hall missing nodes', text: GOOD.replace('    nodes: 16\n', ''), field: 'halls[0].nodes', line: 3, expected: /whole number/ },
  { name: 'hall unknown node type', text: GOOD.replace('node_type: hgx-h100', 'node_type: hgx-h1000'), field: 'halls[0].node_type', line: 4, expected: /hgx-h100/, value: 'hgx-h1000' },
  { name: 'hall fractional nodes', text: GOOD.replace('nodes: 16', 'nodes: 2.5'), field: 'halls[0].nodes', line: 5, expected: /whole number/, value: 2.5 },
  { name: 'hall zero nodes', text: GOOD.replace('nodes: 16', 'nodes: 0'), field: 'halls[0].nodes', line: 5, expected: />= 1/, value: 0 },
  { name: 'hall nodes as text', text: GOOD.replace('nodes: 16', 'nodes: many'), field: 'halls[0].nodes', line: 5, expected: /whole number/, value: 'many' },
  { name: 'hall unknown field', text: GOOD.replace('    nodes: 16\n', '    nodes: 16\n    gpus: 128\n'), field: 'halls[0].gpus', line: 6, expected: /node_type/ },
  { name: 'pool missing price', text: GOOD.replace('    price_per_gpu_hour_usd: 10\n', ''), field: 'pools[0].price_per_gpu_hour_usd', line: 7, expected: /number > 0/ },
  { name: 'pool price zero', text: GOOD.replace('price_per_gpu_hour_usd: 10', 'price_per_gpu_hour_usd: 0'), field: 'pools[0].price_per_gpu_hour_usd', line: 11, expected: /> 0/, value: 0 },
  { name: 'pool negative lead time', text: GOOD.replace('lead_time_hours: 48', 'lead_time_hours: -1'), field: 'pools[0].lead_time_hours', line: 12, expected: />= 0/, value: -1 },
  { name: 'pool provider missing', text: GOOD.replace('    provider: oracle\n', ''), field: 'pools[0].provider', line: 7, expected: /provider/ },
  { name: 'duplicate hall/pool name', text: GOOD.replace('  - name: oci', '  - name: hall-a'), field: 'pools[0].name', line: 7, expected: /unique.*halls\[0\]/, value: 'hall-a' },
  { name: 'neither halls nor pools', text: 'name: t\n', field: 'halls', line: 1, expected: /at least one hall/ },
  { name: 'unknown switch type', text: GOOD.replace('switch_type: qm9700', 'switch_type: cisco'), field: 'network.switch_type', line: 14, expected: /qm9700, sn5600/, value: 'cisco' },
  { name: 'NIC faster than the switch ports', text: GOOD.replace('nic_gbps: 400', 'nic_gbps: 800'), field: 'network.nic_gbps', line: 15, expected: /at most the qm9700 port speed/, value: 800 },
  { name: 'rail_optimized not boolean', text: GOOD.replace('  nic_gbps: 400\n', '  nic_gbps: 400\n  rail_optimized: yes please\n'), field: 'network.rail_optimized', line: 16, expected: /true or false/ },
  { name: 'oversubscription below 1', text: GOOD.replace('  nic_gbps: 400\n', '  nic_gbps: 400\n  oversubscription: 0.5\n'), field: 'network.oversubscription', line: 16, expected: />= 1/ },
  { name: 'network not a mapping', text: GOOD.replace(/network:\n( {2}.*\n)+/, 'network: fast\n'), field: 'network', line: 13, expected: /mapping/ },
  { name: 'facility PUE below 1', text: GOOD.replace('pue: 1.3', 'pue: 0.9'), field: 'facility.pue', line: 17, expected: />= 1/, value: 0.9 },
  { name: 'facility unknown field', text: GOOD + '  carbon: 0\n', field: 'facility.carbon', line: 18, expected: /pue/ },
  { name: 'duplicate key', text: GOOD.replace('name: t\n', 'name: t\nname: u\n'), field: '(yaml syntax)', line: 2, expected: /unique|duplicate|valid YAML/i },
];
for (const c of cases) test(`rejects: ${c.name}`, () => one(c.text, c.field, c.line, c.expected, c.value));

test('every problem in a file is reported at once, in line order', () => {
  const all = issues(`name: t
halls:
  - name: a
    node_type: nope
    nodes: -1
facility:
  pue: 7
`);
  assert.deepEqual(all.map((i) => i.field), ['halls[0].node_type', 'halls[0].nodes', 'facility.pue']);
  assert.deepEqual(all.map((i) => i.line), [4, 5, 7]);
});

test('the error message names file, line, field, value and the accepted values', () => {
  assert.throws(() => parseFleetYaml(GOOD.replace('nodes: 16', 'nodes: -3'), 'fleet.yaml'), (e: unknown) =>
    e instanceof Error && e.message === 'fleet.yaml:5: halls[0].nodes: got -3; expected a whole number >= 1 and <= 1000000');
});
