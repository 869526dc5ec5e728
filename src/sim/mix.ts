import { isNode, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { InputError, type InputIssue } from '../lib/errors.ts';
import type { Rng } from '../lib/rng.ts';
import type { TenantQuota } from '../sched/types.ts';
import type { TwinSizing } from './sizing.ts';
import type { ServiceSpec, Workload, WorkloadJob } from './types.ts';

/**
 * A YAML workload mix (`--workload mix.yaml`): explicit jobs, Poisson job streams, autoscaled
 * services and tenant quotas. snake_case keys; every field checked, errors carry the line.
 * See docs/readme/sim.md for an example.
 */
const gpus = z.number().int().min(1);
const kind = z.enum(['train', 'batch', 'eval']);
const JobSchema = z.object({
  id: z.string().min(1), gpus, tenant: z.string().min(1).default('default'), priority: z.number().int().default(10), kind: kind.default('train'),
  submit_hours: z.number().min(0).default(0),
  /** Hours of work; absent: runs to the end (or `tokens` over the planned throughput of `model`). */
  hours: z.number().positive().optional(),
  /** A planned job: its model (catalog id) and token budget; duration = tokens / plan train's tokens/s on these GPUs. */
  model: z.string().min(1).optional(),
  tokens: z.number().positive().optional(),
  estimate_hours: z.number().positive().optional(),
  preemptible: z.boolean().default(true),
  recovery: z.enum(['gang', 'replica']).default('gang'),
  replica_gpus: z.number().int().min(1).optional(),
}).strict().refine((j) => j.tokens === undefined || (j.model !== undefined && j.hours === undefined), { message: 'tokens needs model (its planned throughput sets the duration) and no hours' });
const StreamSchema = z.object({
  name: z.string().min(1), tenant: z.string().min(1).default('default'), per_day: z.number().positive(), priority: z.number().int().default(10),
  kind: kind.default('train'),
  /** [min, max] GPUs: powers of two between them, weighted toward small; or a list of sizes drawn uniformly. */
  gpus: z.union([z.tuple([gpus, gpus]), z.array(gpus).min(1)]),
  median_hours: z.number().positive(), log_sigma: z.number().min(0).default(1),
  max_hours: z.number().positive().optional(), preemptible: z.boolean().default(true),
}).strict();
const ServiceSchema = z.object({
  id: z.string().min(1), tenant: z.string().min(1).default('serving'), priority: z.number().int().default(200),
  /** A planned service: replica GPUs and capacity from plan serve on the fleet's GPU; else give nodes_per_replica and capacity. */
  model: z.string().min(1).optional(),
  nodes_per_replica: z.number().int().min(1).optional(), min_replicas: z.number().int().min(0).default(1), max_replicas: z.number().int().min(1),
  capacity_tokens_per_second: z.number().positive().optional(), peak_tokens_per_second: z.number().positive(),
  trough_fraction: z.number().min(0).max(1).default(0.35), peak_hour: z.number().min(0).max(24).default(20),
}).strict().refine((s) => s.model !== undefined || s.capacity_tokens_per_second !== undefined, { message: 'give model (sized by plan serve) or capacity_tokens_per_second' });
const QuotaSchema = z.object({
  tenant: z.string().min(1), guaranteed_gpus: z.number().int().min(0), borrow_limit_gpus: z.number().int().min(0).optional(), weight: z.number().positive().default(1),
}).strict();
const MixSchema = z.object({
  name: z.string().min(1).default('mix'),
  jobs: z.array(JobSchema).default([]), streams: z.array(StreamSchema).default([]),
  services: z.array(ServiceSchema).default([]), quotas: z.array(QuotaSchema).default([]),
}).strict();

function issuesOf(err: z.ZodError, doc: ReturnType<typeof parseDocument>, lines: LineCounter): InputIssue[] {
  return err.issues.map((i) => {
    const path = i.path.map(String);
    let node: unknown = doc.getIn(i.path, true);
    for (let k = path.length - 1; !isNode(node) && k >= 0; k--) node = doc.getIn(i.path.slice(0, k), true);
    const range = isNode(node) ? (node as Node).range : undefined;
    const line = range ? lines.linePos(range[0]).line : undefined;
    const field = path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
    const value = isNode(node) ? (node as Node).toJSON() : undefined;
    return { field: field || '(document)', value, expected: i.message + (i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : ''), ...(line !== undefined ? { line } : {}) };
  });
}

const pow2Between = (lo: number, hi: number, start: number): number[] => {
  const out: number[] = [];
  for (let g = start; g <= hi; g *= 2) if (g >= lo) out.push(g);
  return out.length > 0 ? out : [lo];
};

/** A mix for the fleet `sizing` describes: its node size, and planned throughput and replicas for `model` entries. */
export function parseMixYaml(text: string, fileName: string, days: number, rng: Rng, sizing: TwinSizing): Workload {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(doc.errors.map((e) => ({ field: '(yaml syntax)', value: e.code, expected: `valid YAML: ${e.message.split('\n')[0]}`, ...(e.linePos ? { line: e.linePos[0].line } : {}) })), fileName);
  }
  const parsed = MixSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new InputError(issuesOf(parsed.error, doc, lines), fileName);
  const mix = parsed.data;
  const horizon = days * 86_400;
  const gpn = sizing.gpusPerNode;
  const nodesFor = (g: number): { nodes: number; gpusPerNode: number } => { const nodes = Math.ceil(g / gpn); return { nodes, gpusPerNode: Math.ceil(g / nodes) }; };
  const jobs: WorkloadJob[] = mix.jobs.map((j) => {
    const planned = j.model !== undefined ? sizing.train(j.model, j.gpus, j.tokens) : undefined;
    const hours = j.hours ?? (planned && j.tokens !== undefined ? j.tokens / (planned.tokensPerSecondPerGpu * j.gpus) / 3600 : undefined);
    return {
      id: j.id, tenant: j.tenant, priority: j.priority, kind: j.kind, ...nodesFor(j.gpus), submitSeconds: j.submit_hours * 3600,
      workSeconds: hours !== undefined ? hours * 3600 : Infinity,
      ...(j.estimate_hours !== undefined ? { estimatedRuntimeSeconds: j.estimate_hours * 3600 } : hours !== undefined ? { estimatedRuntimeSeconds: hours * 3600 } : {}),
      preemptible: j.preemptible, checkpoints: j.kind === 'train', recovery: j.recovery, replicaNodes: Math.max(1, Math.ceil((j.replica_gpus ?? 64) / gpn)),
      ...(planned ? { model: planned.modelId, tokensPerSecondPerGpu: planned.tokensPerSecondPerGpu, sizedBy: planned.source } : {}),
    };
  });
  for (const s of mix.streams) {
    const sizes = s.gpus.length === 2 && s.gpus[0] < s.gpus[1] ? pow2Between(s.gpus[0], s.gpus[1], gpn) : s.gpus;
    const weights = sizes.map((g) => 1 / Math.sqrt(g));
    const total = weights.reduce((a, b) => a + b, 0);
    const rate = s.per_day / 86_400;
    let n = 0;
    for (let t = rng.exponential(1 / rate); t < horizon; t += rng.exponential(1 / rate)) {
      let u = rng.next() * total;
      let g = sizes[sizes.length - 1]!;
      for (let i = 0; i < sizes.length; i++) { u -= weights[i]!; if (u <= 0) { g = sizes[i]!; break; } }
      const seconds = Math.min(rng.logNormal(s.median_hours * 3600, s.log_sigma), (s.max_hours ?? Infinity) * 3600);
      jobs.push({
        id: `${s.name}-${n++}`, tenant: s.tenant, priority: s.priority, kind: s.kind, ...nodesFor(g), submitSeconds: t, workSeconds: seconds,
        estimatedRuntimeSeconds: seconds * (1 + rng.next()), preemptible: s.preemptible, checkpoints: s.kind === 'train', recovery: 'gang',
      });
    }
  }
  const services: ServiceSpec[] = mix.services.map((s) => {
    const planned = s.model !== undefined ? sizing.serve(s.model) : undefined;
    const nodesPerReplica = s.nodes_per_replica ?? (planned ? Math.ceil(planned.gpusPerReplica / gpn) : 1);
    return {
      id: s.id, tenant: s.tenant, priority: s.priority, nodesPerReplica, gpusPerNode: planned ? Math.ceil(planned.gpusPerReplica / nodesPerReplica) : gpn,
      minReplicas: s.min_replicas, maxReplicas: s.max_replicas,
      capacityTokensPerSecondPerReplica: s.capacity_tokens_per_second ?? planned!.capacityTokensPerSecondPerReplica, peakOutputTokensPerSecond: s.peak_tokens_per_second,
      troughFraction: s.trough_fraction, peakHour: s.peak_hour,
      ...(planned ? { model: planned.modelId, gpusPerReplica: planned.gpusPerReplica, tokensPerSecondPerGpu: planned.tokensPerSecondPerGpu, sizedBy: planned.source } : {}),
    };
  });
  const quotas: TenantQuota[] = mix.quotas.map((q) => ({ tenant: q.tenant, guaranteedGpus: q.guaranteed_gpus, borrowLimitGpus: q.borrow_limit_gpus ?? Infinity, weight: q.weight }));
  return { name: mix.name, jobs, services, rejected: [], quotas };
}
