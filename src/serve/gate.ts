/**
 * The release gate: a checkpoint becomes the served model only when its evaluation passes
 * every threshold the gate spec declares. Parsing (edge: YAML file) and the decision (pure)
 * live here; running the evaluation is ./gate-run.ts, recording it ./releases.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../lib/errors.ts';
import { scoreSuites, suiteSchema, type SuiteResult } from './eval-suites.ts';
import { loadYaml } from '../lib/yaml.ts';
import { readInputFile } from '../control/input-file.ts';

const gateSchema = z.object({
  model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a model id of letters, digits, ".", "_" or "-"'),
  held_out: z.string().min(1).optional(),
  thresholds: z.object({
    max_held_out_loss: z.number().positive().optional(),
    min_prompt_pass_rate: z.number().min(0).max(1).optional(),
  }).strict().default({}),
  prompts: z.array(z.object({ prompt: z.string().min(1), expect: z.string().min(1) }).strict()).max(1000).default([]),
  /** Factuality and refusal suites, each with its own pass threshold (./eval-suites.ts). */
  suites: z.array(suiteSchema).max(50).default([]),
  max_answer_chars: z.number().int().min(1).max(4096).default(120),
}).strict().refine((g) => Object.keys(g.thresholds).length > 0 || g.suites.length > 0, { message: 'at least one threshold (max_held_out_loss, min_prompt_pass_rate) or one eval suite', path: ['thresholds'] })
  .refine((g) => new Set(g.suites.map((s) => s.name)).size === g.suites.length, { message: 'suite names must be unique', path: ['suites'] });

export type GateSpec = z.output<typeof gateSchema> & { readonly heldOutText: string; readonly file: string };

/** Scores an evaluation reports (examples/tiny-chat/server.py --eval writes these). */
export interface EvalScores {
  readonly checkpoint_step?: number;
  readonly held_out_loss?: number;
  readonly prompt_pass_rate?: number;
  readonly prompts?: readonly { prompt: string; expect: string; answer: string; pass: boolean }[];
  /** Answers to the suites' prompts (prompt -> answer), from the eval command or an endpoint. */
  readonly answers?: Readonly<Record<string, string>>;
  /** The suites scored over `answers` (added by withSuiteScores). */
  readonly suites?: readonly SuiteResult[];
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
    throw new InputError(r.error.issues.map((i) => ({ field: i.path.join('.') || '(gate)', value: i.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), raw), expected: i.code === 'unrecognized_keys' ? `no such field (${i.keys.join(', ')}); known: model, held_out, thresholds, prompts, suites, max_answer_chars` : i.message })), file);
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

/**
 * Adds what the gate scores itself from answers: the suites, and the expect-prompts when the
 * evaluation gave only answers (an OpenAI endpoint rather than server.py --eval).
 */
export function withSuiteScores(spec: Pick<GateSpec, 'suites' | 'prompts'>, scores: EvalScores): EvalScores {
  const answers = scores.answers ?? {};
  let out: EvalScores = spec.suites.length > 0 ? { ...scores, suites: scoreSuites(spec.suites, answers) } : scores;
  if (out.prompts === undefined && scores.answers !== undefined && spec.prompts.length > 0) {
    const prompts = spec.prompts.map((p) => { const answer = answers[p.prompt] ?? ''; return { ...p, answer, pass: answer.toLowerCase().includes(p.expect.toLowerCase()) }; });
    out = { ...out, prompts, prompt_pass_rate: prompts.filter((p) => p.pass).length / prompts.length };
  }
  return out;
}

/** The gate's verdict: every declared threshold must hold; a missing score fails its check. */
export function decideGate(spec: Pick<GateSpec, 'thresholds'> & Partial<Pick<GateSpec, 'suites'>>, scores: EvalScores): GateDecision {
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
  for (const suite of spec.suites ?? []) {
    const r = scores.suites?.find((x) => x.name === suite.name);
    checks.push({ name: `${suite.kind}:${suite.name}`, value: r?.passRate ?? null, threshold: `>= ${suite.min_pass_rate}`, passed: r !== undefined && r.passRate >= suite.min_pass_rate });
  }
  return { passed: checks.length > 0 && checks.every((c) => c.passed), checks };
}
