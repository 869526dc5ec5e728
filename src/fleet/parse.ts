// Fleet YAML -> FleetSpec. Every wrong, missing or unknown field becomes one InputIssue with its
// YAML path, line, the bad value and what is accepted; all issues are reported together.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { nodeTypeIds, NODE_TYPES } from '../catalog/nodes.ts';
import { radixAt, switchIds, SWITCHES } from '../catalog/network.ts';
import { DEFAULT_FACILITY } from '../catalog/prices.ts';
import { InputError, type InputIssue } from '../lib/errors.ts';
import type { FacilitySpec, FleetSpec, HallSpec, NetworkSpec, PoolSpec } from './types.ts';

type Kind = 'string' | 'integer' | 'number' | 'boolean';
interface FieldRule { readonly kind: Kind; readonly required: boolean; readonly min?: number; readonly max?: number; readonly minExclusive?: boolean; readonly oneOf?: readonly string[]; readonly hint?: string }

const HALL: Record<string, FieldRule> = {
  name: { kind: 'string', required: true },
  node_type: { kind: 'string', required: true, oneOf: nodeTypeIds },
  nodes: { kind: 'integer', required: true, min: 1, max: 1_000_000 },
  nodes_per_rack: { kind: 'integer', required: false, min: 1, max: 64 },
};
const POOL: Record<string, FieldRule> = {
  name: { kind: 'string', required: true },
  provider: { kind: 'string', required: true, hint: 'a cloud provider name such as oracle' },
  node_type: { kind: 'string', required: true, oneOf: nodeTypeIds },
  max_nodes: { kind: 'integer', required: true, min: 1, max: 1_000_000 },
  price_per_gpu_hour_usd: { kind: 'number', required: true, min: 0, minExclusive: true, max: 1_000 },
  lead_time_hours: { kind: 'number', required: true, min: 0, max: 24 * 365 },
  minimum_hours: { kind: 'number', required: false, min: 0, max: 24 * 365 * 5 },
  // Where a provider launches the pool's servers (OCI's own names for LaunchInstance's fields).
  compartment_id: { kind: 'string', required: false, hint: 'the OCID of the compartment to launch instances in' },
  availability_domain: { kind: 'string', required: false, hint: 'an availability domain name, e.g. Uocm:US-ASHBURN-AD-1' },
  shape: { kind: 'string', required: false, hint: 'an instance shape, e.g. BM.GPU.H100.8' },
  subnet_id: { kind: 'string', required: false, hint: 'the OCID of the subnet for the primary VNIC' },
  image_id: { kind: 'string', required: false, hint: 'the OCID of the boot image' },
  // How to reach the provider: OCI's config-file profile, or instance principals.
  oci_auth: { kind: 'string', required: false, oneOf: ['config', 'instance_principal'] },
  oci_config_file: { kind: 'string', required: false, hint: 'a path to an OCI config file (default ~/.oci/config)' },
  oci_profile: { kind: 'string', required: false, hint: 'a profile name in the OCI config file (default DEFAULT)' },
  oci_endpoint: { kind: 'string', required: false, hint: 'the Compute API endpoint URL (default: the region\'s; set it only for a stand-in)' },
};

/** Pool keys copied as they are into `PoolSpec.providerConfig`. */
const PROVIDER_KEYS = ['compartment_id', 'availability_domain', 'shape', 'subnet_id', 'image_id', 'oci_auth', 'oci_config_file', 'oci_profile', 'oci_endpoint'] as const;
const NETWORK: Record<string, FieldRule> = {
  switch_type: { kind: 'string', required: false, oneOf: switchIds },
  nic_gbps: { kind: 'number', required: false, min: 0, minExclusive: true, max: 1_600 },
  rail_optimized: { kind: 'boolean', required: false },
  oversubscription: { kind: 'number', required: false, min: 1, max: 64 },
  hop_latency_microseconds: { kind: 'number', required: false, min: 0, max: 1_000 },
};
const FACILITY: Record<string, FieldRule> = {
  pue: { kind: 'number', required: false, min: 1, max: 3 },
  electricity_usd_per_kwh: { kind: 'number', required: false, min: 0, max: 5 },
  amortization_years: { kind: 'number', required: false, min: 0, minExclusive: true, max: 30 },
};
const TOP = ['name', 'description', 'halls', 'pools', 'network', 'facility'];

function expected(r: FieldRule): string {
  if (r.oneOf !== undefined) return `one of: ${r.oneOf.join(', ')}`;
  if (r.hint !== undefined) return r.hint;
  if (r.kind === 'boolean') return 'true or false';
  if (r.kind === 'string') return 'a non-empty string';
  const what = r.kind === 'integer' ? 'a whole number' : 'a number';
  const lo = r.min === undefined ? '' : ` ${r.minExclusive === true ? '>' : '>='} ${r.min}`;
  const hi = r.max === undefined ? '' : `${lo === '' ? '' : ' and'} <= ${r.max}`;
  return `${what}${lo}${hi}`;
}

class Reader {
  readonly issues: InputIssue[] = [];
  constructor(private readonly lines: LineCounter) {}

  line(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  issue(field: string, value: unknown, exp: string, node?: Node | null): void {
    const line = this.line(node);
    this.issues.push({ field, value, expected: exp, ...(line !== undefined ? { line } : {}) });
  }

  /** Reports keys of `map` not in `known`; returns the known pairs. */
  unknownKeys(map: YAMLMap, path: string, known: readonly string[]): { key: string; value: Node | null }[] {
    const out: { key: string; value: Node | null }[] = [];
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (known.includes(key)) out.push({ key, value: pair.value as Node | null });
      else this.issue(path === '' ? key : `${path}.${key}`, key, `a known field (${known.join(', ')}); remove or rename it`, pair.key as Node);
    }
    return out;
  }

  /** A mapping's fields checked against rules: unknown keys, missing required keys, bad values. */
  fields(map: YAMLMap, path: string, rules: Record<string, FieldRule>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const { key, value } of this.unknownKeys(map, path, Object.keys(rules))) {
      const v = this.value(`${path}.${key}`, value, rules[key]!);
      if (v !== undefined) out[key] = v;
    }
    for (const [key, r] of Object.entries(rules)) {
      if (r.required && !map.has(key)) this.issue(`${path}.${key}`, undefined, expected(r), map);
    }
    return out;
  }

  value(field: string, node: Node | null, r: FieldRule): unknown {
    const v: unknown = isScalar(node) ? node.value : node === null ? null : node.toJSON();
    const bad = () => { this.issue(field, v, expected(r), node); return undefined; };
    if (r.kind === 'string') {
      if (typeof v !== 'string' || v.trim() === '') return bad();
      if (r.oneOf !== undefined && !r.oneOf.includes(v)) return bad();
      return v;
    }
    if (r.kind === 'boolean') return typeof v === 'boolean' ? v : bad();
    if (typeof v !== 'number' || !Number.isFinite(v)) return bad();
    if (r.kind === 'integer' && !Number.isInteger(v)) return bad();
    if (r.min !== undefined && (r.minExclusive === true ? v <= r.min : v < r.min)) return bad();
    if (r.max !== undefined && v > r.max) return bad();
    return v;
  }

  /** A list of mappings (halls, pools); absent means empty. */
  list(node: Node | null | undefined, path: string, rules: Record<string, FieldRule>): { item: Record<string, unknown>; node: Node }[] {
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) { this.issue(path, (node as Node).toJSON(), 'a list of mappings (- name: ...)', node); return []; }
    const out: { item: Record<string, unknown>; node: Node }[] = [];
    node.items.forEach((n, i) => {
      const itemNode = n as Node;
      if (!isMap(itemNode)) { this.issue(`${path}[${i}]`, itemNode?.toJSON?.() ?? n, 'a mapping with fields ' + Object.keys(rules).join(', '), itemNode); return; }
      out.push({ item: this.fields(itemNode, `${path}[${i}]`, rules), node: itemNode });
    });
    return out;
  }

  section(node: Node | null | undefined, path: string, rules: Record<string, FieldRule>): Record<string, unknown> {
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return {};
    if (!isMap(node)) { this.issue(path, (node as Node).toJSON(), `a mapping with fields ${Object.keys(rules).join(', ')}`, node); return {}; }
    return this.fields(node, path, rules);
  }
}

function providerConfig(p: Record<string, unknown>): { providerConfig?: Readonly<Record<string, string>> } {
  const entries = PROVIDER_KEYS.filter((k) => typeof p[k] === 'string').map((k) => [k, p[k] as string] as const);
  return entries.length > 0 ? { providerConfig: Object.fromEntries(entries) } : {};
}

/** Parses and validates a fleet file; throws InputError listing every problem. */
export function parseFleetYaml(text: string, fileName: string): FleetSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const source = text.split('\n');
    throw new InputError(doc.errors.map((e) => {
      const line = e.linePos?.[0].line;
      const value = line === undefined ? e.code : source[line - 1]?.trim();
      return { field: '(yaml syntax)', value, expected: `valid YAML (${e.code}): ${e.message.split('\n')[0]}`, ...(line !== undefined ? { line } : {}) };
    }), fileName);
  }
  const r = new Reader(lines);
  const root = doc.contents as Node | null;
  if (!isMap(root)) {
    throw new InputError({ field: '(document)', value: root === null ? undefined : root.toJSON(), expected: `a mapping with fields ${TOP.join(', ')}`, line: r.line(root) ?? 1 }, fileName);
  }
  r.unknownKeys(root, '', TOP);
  const get = (k: string) => root.get(k, true) as Node | null | undefined;
  if (!root.has('name')) r.issue('name', undefined, 'a non-empty string naming the fleet', root);
  const name = root.has('name') ? r.value('name', get('name') ?? null, { kind: 'string', required: true }) : undefined;
  const descNode = get('description');
  const description = descNode === undefined ? undefined : r.value('description', descNode, { kind: 'string', required: false });
  const halls = r.list(get('halls'), 'halls', HALL);
  const pools = r.list(get('pools'), 'pools', POOL);
  const net = r.section(get('network'), 'network', NETWORK);
  const fac = r.section(get('facility'), 'facility', FACILITY);

  if (halls.length === 0 && pools.length === 0 && !r.issues.some((i) => i.field.startsWith('halls') || i.field.startsWith('pools'))) {
    r.issue('halls', undefined, 'at least one hall (owned nodes) or one pool (rented nodes)', root);
  }
  const seen = new Map<string, string>();
  for (const [path, list] of [['halls', halls], ['pools', pools]] as const) {
    list.forEach(({ item, node }, i) => {
      const n = item.name;
      if (typeof n !== 'string') return;
      const prev = seen.get(n);
      if (prev !== undefined) r.issue(`${path}[${i}].name`, n, `a name unique across halls and pools (also used by ${prev})`, (node as YAMLMap).get('name', true) as Node);
      else seen.set(n, `${path}[${i}]`);
    });
  }

  const firstType = (halls[0]?.item.node_type ?? pools[0]?.item.node_type) as string | undefined;
  const switchType = (net.switch_type as string | undefined) ?? 'qm9700';
  const sw = SWITCHES[switchType]!;
  const nicGbps = (net.nic_gbps as number | undefined) ?? (firstType !== undefined ? NODE_TYPES[firstType]?.nicGbps : undefined) ?? 400;
  if (radixAt(sw, nicGbps) < 2 && !r.issues.some((i) => i.field.startsWith('network'))) {
    const netNode = get('network') as YAMLMap | undefined;
    r.issue('network.nic_gbps', nicGbps, `at most the ${switchType} port speed, ${sw.portGbps.value} Gb/s (or pick a faster switch_type)`, (isMap(netNode) ? netNode.get('nic_gbps', true) as Node : undefined) ?? netNode);
  }
  if (r.issues.length > 0) throw new InputError([...r.issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)), fileName);

  const network: NetworkSpec = {
    switchType, nicGbps,
    railOptimized: (net.rail_optimized as boolean | undefined) ?? true,
    oversubscription: (net.oversubscription as number | undefined) ?? 1,
    hopLatencyMicroseconds: (net.hop_latency_microseconds as number | undefined) ?? sw.hopLatencyMicroseconds.value,
  };
  const facility: FacilitySpec = {
    pue: (fac.pue as number | undefined) ?? DEFAULT_FACILITY.pue,
    electricityUsdPerKwh: (fac.electricity_usd_per_kwh as number | undefined) ?? DEFAULT_FACILITY.electricityUsdPerKwh,
    amortizationYears: (fac.amortization_years as number | undefined) ?? DEFAULT_FACILITY.amortizationYears,
  };
  return {
    name: name as string,
    ...(description !== undefined ? { description: description as string } : {}),
    halls: halls.map(({ item: h }): HallSpec => ({
      name: h.name as string, nodeType: h.node_type as string, nodes: h.nodes as number,
      ...(h.nodes_per_rack !== undefined ? { nodesPerRack: h.nodes_per_rack as number } : {}),
    })),
    pools: pools.map(({ item: p }): PoolSpec => ({
      name: p.name as string, provider: p.provider as string, nodeType: p.node_type as string,
      maxNodes: p.max_nodes as number, pricePerGpuHourUsd: p.price_per_gpu_hour_usd as number,
      leadTimeHours: p.lead_time_hours as number, minimumHours: (p.minimum_hours as number | undefined) ?? 1,
      ...providerConfig(p),
    })),
    network, facility,
  };
}
