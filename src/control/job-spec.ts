/**
 * The job spec: what a user submits (YAML for the CLI, the same object as JSON for the API).
 * snake_case keys, validated at the edge with zod; unknown fields are rejected naming the
 * field. Limits keep one request from asking for more than a 100,000-GPU fleet can hold.
 */
import { z } from 'zod';
import { parseDocument } from 'yaml';
import { InputError, type InputIssue } from '../lib/errors.ts';
import type { JobPlan } from './job-plan.ts';

/** Largest fleet of DESIGN.md: 12,500 nodes x 8 GPUs. */
export const MAX_NODES = 12_500;
export const MAX_RANKS_PER_NODE = 64;
export const MAX_GPUS_PER_NODE = 16;
export const MAX_COMMAND_WORDS = 256;
export const MAX_WORD_CHARS = 4096;
export const MAX_ENV_VARS = 256;

const word = z.string().min(1).max(MAX_WORD_CHARS);
/** A token count: a number, or text with a K/M/B/T suffix (`2T`, `16M`); parsed by the planner adapter. */
const tokenCount = z.union([z.number().positive(), z.string().regex(/^\s*[0-9]*\.?[0-9]+(?:e[0-9]+)?\s*[kmbgtKMBGT]?\s*$/, 'a count like 2T, 16M or 2e12')]);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name ([A-Za-z_][A-Za-z0-9_]*)').max(256);

export const jobSpecSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'a name of 1-100 letters, digits, ".", "_" or "-"'),
  kind: z.enum(['train', 'serve', 'batch', 'eval']).default('train'),
  priority: z.number().int().min(0).max(1000).default(100),
  preemptible: z.boolean().default(true),
  nodes: z.number().int().min(1).max(MAX_NODES).default(1),
  ranks_per_node: z.number().int().min(1).max(MAX_RANKS_PER_NODE).default(1),
  gpus_per_node: z.number().int().min(0).max(MAX_GPUS_PER_NODE).default(0),
  command: z.array(word).min(1).max(MAX_COMMAND_WORDS),
  workdir: z.string().min(1).max(MAX_WORD_CHARS).optional(),
  env: z.record(envName, z.string().max(MAX_WORD_CHARS)).refine((e) => Object.keys(e).length <= MAX_ENV_VARS, `at most ${MAX_ENV_VARS} variables`).default({}),
  checkpoint_dir: z.string().min(1).max(MAX_WORD_CHARS).optional(),
  max_restarts: z.number().int().min(0).max(100).default(3),
  /** Seconds without a heartbeat-file touch before the rank counts as hung (absent: liveness only). */
  heartbeat_timeout_seconds: z.number().min(1).max(86_400).optional(),
  estimated_runtime_seconds: z.number().positive().max(365 * 86_400).optional(),
  // A planned job (docs/readme/planned-jobs.md): model + tokens instead of nodes x gpus_per_node; the plane sizes it (plan-job.ts).
  model: z.string().min(1).max(MAX_WORD_CHARS).optional(),
  tokens: tokenCount.optional(),
  gpus: z.number().int().min(1).max(MAX_NODES * MAX_GPUS_PER_NODE).optional(),
  stack: z.string().min(1).max(100).optional(),
  precision: z.enum(['bf16', 'fp8']).optional(),
  seq: z.number().int().min(1).max(10_000_000).optional(),
  global_batch: tokenCount.optional(),
  deadline_days: z.number().positive().max(3650).optional(),
}).strict();

/** Fields that only a planned job (one with `model`) may give, and the gang fields it must not. */
export const PLANNED_FIELDS = ['tokens', 'gpus', 'stack', 'precision', 'seq', 'global_batch', 'deadline_days'] as const;
export const GANG_FIELDS = ['nodes', 'gpus_per_node', 'ranks_per_node'] as const;

/** A stored spec: what the user gave, plus the plan the plane made for a planned job (never accepted from users). */
export type JobSpec = z.output<typeof jobSpecSchema> & { readonly plan?: JobPlan };

function describeExpected(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': return issue.expected === 'integer' ? 'an integer' : `a ${issue.expected}`;
    case 'too_small': return issue.type === 'array' ? `at least ${String(issue.minimum)} item(s)` : issue.type === 'string' ? `at least ${String(issue.minimum)} character(s)` : `a number >= ${String(issue.minimum)}`;
    case 'too_big': return issue.type === 'array' ? `at most ${String(issue.maximum)} item(s)` : issue.type === 'string' ? `at most ${String(issue.maximum)} characters` : `a number <= ${String(issue.maximum)}`;
    case 'invalid_enum_value': return `one of ${issue.options.join(', ')}`;
    case 'unrecognized_keys': return `no such field; known fields: ${Object.keys(jobSpecSchema.shape).join(', ')}`;
    default: return issue.message;
  }
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

function fieldName(path: readonly (string | number)[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '') || '(job spec)';
}

/** A planned job gives `model` instead of the gang size; planner fields without `model` mean nothing. */
function checkPlannedFields(input: Record<string, unknown>, file?: string, lineOf?: (path: readonly (string | number)[]) => number | undefined): void {
  const issues: InputIssue[] = [];
  const at = (k: string) => { const line = lineOf?.([k]); return line === undefined ? {} : { line }; };
  if (input['model'] !== undefined) {
    for (const g of GANG_FIELDS) {
      if (input[g] !== undefined) issues.push({ field: g, value: input[g], expected: `no ${g} together with model (${JSON.stringify(input['model'])}): the planner sizes a planned job; drop ${g}, or drop model and give nodes x gpus_per_node yourself`, ...at(g) });
    }
    if (input['kind'] !== undefined && input['kind'] !== 'train') issues.push({ field: 'kind', value: input['kind'], expected: 'train (only training jobs are planned from model + tokens)', ...at('kind') });
  } else {
    for (const f of PLANNED_FIELDS) {
      if (input[f] !== undefined) issues.push({ field: f, value: input[f], expected: `model too: ${f} is a planned-job field (give model: CATALOG_ID_OR_FILE), or drop ${f}`, ...at(f) });
    }
  }
  if (issues.length > 0) throw new InputError(issues.map((i) => (i.line === undefined ? { field: i.field, value: i.value, expected: i.expected } : i)), file);
}

/** Validates a parsed object (JSON body or YAML document); throws InputError naming each bad field. */
export function parseJobSpec(input: unknown, file?: string, lineOf?: (path: readonly (string | number)[]) => number | undefined): JobSpec {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InputError({ field: '(job spec)', value: input, expected: 'an object with name, command, nodes, ...' }, file);
  }
  checkPlannedFields(input as Record<string, unknown>, file, lineOf);
  const r = jobSpecSchema.safeParse(input);
  if (r.success) return r.data;
  const issues: InputIssue[] = [];
  for (const i of r.error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) issues.push({ field: fieldName([...i.path, k]), value: valueAt(input, [...i.path, k]), expected: describeExpected(i), line: lineOf?.([...i.path, k]) });
    } else {
      issues.push({ field: fieldName(i.path), value: valueAt(input, i.path), expected: describeExpected(i), line: lineOf?.(i.path) });
    }
  }
  throw new InputError(issues.map((i) => (i.line === undefined ? { field: i.field, value: i.value, expected: i.expected } : i)), file);
}

/** Parses a YAML job file; errors carry the file name and line. */
export function parseJobSpecYaml(text: string, fileName: string): JobSpec {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new InputError({ field: '(yaml)', value: undefined, expected: `valid YAML (${e.message.split('\n')[0]})`, line: e.linePos?.[0].line }, fileName);
  }
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : text.slice(0, offset).split('\n').length;
  };
  return parseJobSpec(doc.toJS(), fileName, lineOf);
}
