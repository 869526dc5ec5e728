import type { GateRecord, ServedModel } from './releases.ts';

const num = (v: number | null) => (v === null ? 'missing' : v.toFixed(3));

/** One gate result as text: verdict, each threshold, each factual prompt. */
export function formatGateRecord(r: GateRecord): string {
  const lines = [`gate ${r.model} ${r.passed ? 'PASSED' : 'FAILED'}: ${r.source ?? r.checkpoint}${r.evalJobId ? ` (eval job ${r.evalJobId})` : ''}, ${r.time}`];
  const width = Math.max(18, ...r.decision.checks.map((c) => c.name.length));
  for (const c of r.decision.checks) lines.push(`  ${c.name.padEnd(width)} ${num(c.value).padStart(8)}  ${c.threshold.padEnd(8)}  ${c.passed ? 'pass' : 'FAIL'}`);
  for (const p of r.scores.prompts ?? []) lines.push(`  ${p.pass ? 'pass' : 'FAIL'}  ${JSON.stringify(p.prompt)} -> ${JSON.stringify(p.answer)} (expect ${JSON.stringify(p.expect)})`);
  for (const s of r.scores.suites ?? []) {
    lines.push(`  suite ${s.name} (${s.kind}): ${s.items.filter((i) => i.pass).length}/${s.items.length} passed`);
    for (const i of s.items) lines.push(`    ${i.pass ? 'pass' : 'FAIL'}  ${JSON.stringify(i.prompt)} -> ${JSON.stringify(i.answer)}${i.why ? ` (${i.why})` : ''}`);
  }
  return lines.join('\n');
}

export function formatServed(model: string, s: ServedModel | undefined): string {
  return s ? `served model ${model}: ${s.checkpoint} (promoted ${s.promotedAt})` : `served model ${model}: none promoted yet`;
}

/** A deployment's rollout steps, one line each: time, step, release, why, and the figures. */
export function formatRolloutSteps(deployment: string, events: readonly Record<string, unknown>[]): string {
  if (events.length === 0) return `deployment ${deployment}: no rollout steps yet`;
  const lines = [`deployment ${deployment}: rollout steps`];
  for (const e of events) {
    const { time, step, release, reason, ...rest } = e;
    const figures = Object.entries(rest).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
    lines.push(`  ${String(time)}  ${String(step).padEnd(14)} ${release !== undefined ? String(release) : ''}${reason ? `  ${String(reason)}` : ''}${figures ? `  (${figures})` : ''}`);
  }
  return lines.join('\n');
}
