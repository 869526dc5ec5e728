/**
 * What a tenant may see of a Prometheus text exposition: only series labelled with its own
 * `tenant`. Series without a tenant label (totals over every tenant, scheduler timings) reveal
 * others' activity and stay for admins. Generic over metric families: a new family with a
 * `tenant` label is visible to its tenant with no change here. HELP/TYPE lines are kept only
 * for families with a visible series.
 */

/** The value of label `name` in a sample line (`metric{a="x",tenant="t"} 1`), or undefined. */
export function labelValue(line: string, name: string): string | undefined {
  const open = line.indexOf('{');
  if (open < 0) return undefined;
  let i = open + 1;
  while (i < line.length && line[i] !== '}') {
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') return undefined;
    const key = line.slice(i, eq).trim();
    let j = eq + 2;
    let value = '';
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') { j++; value += line[j] === 'n' ? '\n' : line[j]; } else value += line[j];
    }
    if (key === name) return value;
    i = j + 1;
    if (line[i] === ',') i++;
  }
  return undefined;
}

const sampleName = (line: string): string => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';

export function filterMetricsForTenant(exposition: string, tenant: string): string {
  const lines = exposition.split('\n').filter((l) => l !== '');
  const samples = new Set(lines.filter((l) => !l.startsWith('#') && labelValue(l, 'tenant') === tenant));
  const names = new Set([...samples].map(sampleName));
  // `# HELP name ...` / `# TYPE name ...`: kept when a kept sample is `name` or `name_suffix` (histograms).
  const familyVisible = (family: string) => names.has(family) || [...names].some((n) => n.startsWith(`${family}_`));
  const out = lines.filter((l) => (l.startsWith('#') ? familyVisible(l.split(' ')[2] ?? '') : samples.has(l)));
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
