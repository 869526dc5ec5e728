/**
 * The release gate: a checkpoint becomes the served model only when its evaluation passes
 * every threshold the gate spec declares. Parsing (edge: YAML file) and the decision (pure)
 * live here; running the evaluation is ./gate-run.ts, recording it ./releases.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../lib/errors.ts';
import { loadYaml } from '../lib/yaml.ts';
import { readInputFile } from '../control/input-file.ts';

const gateSchema = z.object({
  model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a model id of letters, digits, ".", "_" or "-"'),
  held_out: z.string().min(1).optional(),
  thresholds: z.object({
    max_held_out_loss: z.number().positive().optional(),
    min_prompt_pass_rate: z.number().min(0).max(1).optional(),
  }).strict().refine((t) => Object.keys(t).length > 0, 'at least one threshold (max_held_out_loss, min_prompt_pass_rate)'),
  prompts: z.array(z.object({ prompt: z.string().min(1), expect: z.string().min(1) }).strict()).max(1000).default([]),
  max_answer_chars: z.number().int().min(1).max(4096).default(120),
}).strict();

export type GateSpec = z.output<typeof gateSchema> & { readonly heldOutText: string; readonly file: string };

/** Scores an evaluation reports (examples/tiny-chat/server.py --eval writes these). */
export interface EvalScores {
  readonly checkpoint_step?: number;
  readonly held_out_loss?: number;
  readonly prompt_pass_rate?: number;
  readonly prompts?: readonly { prompt: string; expect: string; answer: string; pass: boolean }[];
}

export interface GateCheck {
  readonly name: string;
  readonly value: number | null;
  readonly threshold: string;
  readonly passed: boolean;
}

export interface GateDecision {
  readonly passed: boolean;
  readonly checks: readonly GateCheck[];
}

/** Reads and validates a gate YAML file; the held-out file resolves against the gate's folder. */
export function loadGateSpec(file: string): GateSpec {
  const raw = loadYaml(readInputFile(file, 'GATE', 'gate YAML file'), file).value;
  const r = gateSchema.safeParse(raw);
  if (!r.success) {
    throw new InputError(r.error.issues.map((i) => ({ field: i.path.join('.') || '(gate)', value: i.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), raw), expected: i.code === 'unrecognized_keys' ? `no such field (${i.keys.join(', ')}); known: model, held_out, thresholds, prompts, max_answer_chars` : i.message })), file);
  }
  let heldOutText = '';
  if (r.data.held_out !== undefined) {
    const p = isAbsolute(r.data.held_out) ? r.data.held_out : resolve(dirname(file), r.data.held_out);
    try { heldOutText = readFileSync(p, 'utf8'); } catch {
      throw new InputError({ field: 'held_out', value: r.data.held_out, expected: `a readable text file (looked at ${p})` }, file);
    }
  }
  if (r.data.thresholds.max_held_out_loss !== undefined && heldOutText.length < 2) {
    throw new InputError({ field: 'held_out', value: r.data.held_out, expected: 'a held-out text file (max_held_out_loss needs one)' }, file);
  }
  return { ...r.data, heldOutText, file };
}

/** The gate's verdict: every declared threshold must hold; a missing score fails its check. */
export function decideGate(spec: Pick<GateSpec, 'thresholds'>, scores: EvalScores): GateDecision {
  const checks: GateCheck[] = [];
  const t = spec.thresholds;
  if (t.max_held_out_loss !== undefined) {
    const v = scores.held_out_loss;
    checks.push({ name: 'held_out_loss', value: v ?? null, threshold: `<= ${t.max_held_out_loss}`, passed: typeof v === 'number' && Number.isFinite(v) && v <= t.max_held_out_loss });
  }
  if (t.min_prompt_pass_rate !== undefined) {
    const v = scores.prompt_pass_rate;
    checks.push({ name: 'prompt_pass_rate', value: v ?? null, threshold: `>= ${t.min_prompt_pass_rate}`, passed: typeof v === 'number' && v >= t.min_prompt_pass_rate });
  }
  return { passed: checks.length > 0 && checks.every((c) => c.passed), checks };
}
