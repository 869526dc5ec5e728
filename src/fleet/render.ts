// Plain-text report of a FleetSummary for `gigafactory fleet show` (pure string building).
import type { FleetSummary } from './summary.ts';

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const fix = (x: number, d: number) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const pflops = (x: number) => int(x / 1e15);
const usd = (x: number) => (x >= 1e9 ? `$${fix(x / 1e9, 2)}B` : x >= 1e6 ? `$${fix(x / 1e6, 1)}M` : `$${int(x)}`);
const power = (kw: number) => (kw >= 1000 ? `${fix(kw / 1000, 1)} MW` : `${fix(kw, 1)} kW`);
const bytes = (b: number) => (b >= 1e15 ? `${fix(b / 1e15, 2)} PB` : b >= 1e12 ? `${fix(b / 1e12, 1)} TB` : `${fix(b / 1e9, 1)} GB`);

/** Left-aligns the first column, right-aligns the rest. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export function renderFleet(s: FleetSummary): string {
  const t = s.totals;
  const out: string[] = [];
  out.push(`fleet ${s.name}${s.description !== undefined ? `: ${s.description}` : ''}`, '');
  const byType = Object.entries(s.gpusByType).map(([id, n]) => `${id} ${int(n)}`).join(', ');
  out.push(`GPUs                ${int(t.gpus)}${byType === '' ? ' (CPU only)' : ` (${byType})`}`);
  out.push(`nodes               ${int(t.nodes)} in ${int(t.racks)} racks`);
  out.push(`CPU                 ${int(t.cpuCores)} cores, ${bytes(t.memoryBytes)} memory`);
  out.push(`peak dense BF16     ${pflops(t.peakDenseBf16FlopsPerSecond)} PFLOP/s`);
  out.push(`peak dense FP8      ${pflops(t.peakDenseFp8FlopsPerSecond)} PFLOP/s`);
  out.push(`HBM                 ${bytes(t.hbmBytes)}`);
  out.push(`IT power (owned)    ${power(t.ownedItPowerKw)} at nameplate, incl. switches`);
  out.push(`facility power      ${power(t.ownedFacilityPowerKw)} at PUE ${s.pue}`);
  out.push(`capex (owned)       ${usd(t.ownedCapexUsd)} (nodes + switches; cables, optics, buildings not included)`);
  const perGpu = (x: number) => (t.gpus > 0 ? ` ($${fix(x / t.gpus, 2)}/GPU-h)` : '');
  out.push(`hourly, owning all  ${usd(t.ownUsdPerHour)}/h${perGpu(t.ownUsdPerHour)}: capex amortized + energy`);
  out.push(`hourly, renting all ${usd(t.rentUsdPerHour)}/h${perGpu(t.rentUsdPerHour)}: pool prices, cloud list price for owned GPUs`);

  out.push('', 'halls and pools');
  out.push(table([
    ['name', 'kind', 'node type', 'nodes', 'GPUs', 'racks', 'BF16 PFLOP/s', 'FP8 PFLOP/s', 'HBM', 'IT power', 'capex', 'own $/h', 'rent $/h', 'lead time'],
    ...s.groups.map((g) => [
      g.name, g.kind === 'rented' ? `rented (${g.provider})` : 'owned', g.nodeType, int(g.nodes), int(g.gpus), int(g.racks),
      pflops(g.peakDenseBf16FlopsPerSecond), pflops(g.peakDenseFp8FlopsPerSecond), bytes(g.hbmBytes), power(g.itPowerKw),
      g.kind === 'owned' ? usd(g.capexUsd) : '-', int(g.ownUsdPerHour), g.rentUsdPerHour === null ? '-' : int(g.rentUsdPerHour),
      g.leadTimeHours === undefined ? '-' : `${g.leadTimeHours} h`,
    ]),
  ]));

  for (const f of s.fabrics) {
    const fb = f.fabric;
    out.push('', `network (${f.name === 'owned' ? 'owned halls, one fabric' : `pool ${f.name}`}): ${f.switchType} at ${f.nicGbps} Gb/s = radix ${f.radix}, `
      + `${f.railOptimized ? 'rail-optimized' : 'flat'}, ${fb.planes} plane${fb.planes > 1 ? 's (one per rail)' : ''}, ${fb.tiers} tier${fb.tiers > 1 ? 's' : ''}, oversubscription ${f.oversubscription}:1`);
    const names = ['leaf', 'spine', 'core', 'super-core'];
    out.push(table([
      ['tier', 'switches', 'links from below'],
      ...fb.switchesPerTier.map((n, i) => [names[i] ?? `tier ${i + 1}`, int(n), int(fb.linksPerTier[i]!)]),
      ['total', int(fb.switches), int(fb.links)],
    ]));
    out.push(`  bisection ${fix(fb.bisectionBytesPerSecond / 1e12, 1)} TB/s per direction; switches draw ${power(f.powerKw)} and cost ${usd(f.capexUsd)}`);
    out.push(`  domains: ${int(fb.nodesPerLeaf)} nodes per leaf group, ${int(fb.nodesPerPod)} per pod`);
  }
  if (s.fabrics.length === 0) out.push('', 'network: single node, no scale-out fabric');

  if (s.tiers.length > 0) {
    out.push('', 'collective tiers (main fabric, per GPU, one direction)');
    out.push(table([
      ['tier', 'GPUs within', 'bandwidth', 'latency'],
      ...s.tiers.map((x) => [x.name, int(x.endpointsWithin), `${fix(x.bandwidthBytesPerSecondPerGpu / 1e9, 1)} GB/s`, `${fix(x.latencySeconds * 1e6, 2)} us`]),
    ]));
  }
  return out.join('\n') + '\n';
}
