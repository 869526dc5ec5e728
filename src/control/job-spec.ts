/**
 * The job spec: what a user submits (YAML for the CLI, the same object as JSON for the API).
 * snake_case keys, validated at the edge with zod; unknown fields are rejected naming the
 * field. Limits keep one request from asking for more than a 100,000-GPU fleet can hold.
 */
import { z } from 'zod';
import { InputError, type InputIssue } from '../lib/errors.ts';
import { withArticle } from '../lib/describe.ts';
import { loadYaml } from '../lib/yaml.ts';

/** Largest fleet of DESIGN.md: 12,500 nodes x 8 GPUs. */
export const MAX_NODES = 12_500;
export const MAX_RANKS_PER_NODE = 64;
export const MAX_GPUS_PER_NODE = 16;
export const MAX_COMMAND_WORDS = 256;
export const MAX_WORD_CHARS = 4096;
export const MAX_ENV_VARS = 256;

const word = z.string().min(1).max(MAX_WORD_CHARS);
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
}).strict();

export type JobSpec = z.output<typeof jobSpecSchema>;

function describeExpected(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': return withArticle(issue.expected);
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

/** Validates a parsed object (JSON body or YAML document); throws InputError naming each bad field. */
export function parseJobSpec(input: unknown, file?: string, lineOf?: (path: readonly (string | number)[]) => number | undefined): JobSpec {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InputError({ field: '(job spec)', value: input, expected: 'an object with name, command, nodes, ...' }, file);
  }
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
  const { value, lineOf } = loadYaml(text, fileName);
  return parseJobSpec(value, fileName, lineOf);
}
