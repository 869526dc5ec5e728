import { isNode, type LineCounter, type Node } from 'yaml';
import { z } from 'zod';
import { InputError, type InputIssue } from '../lib/errors.ts';
import type { Rng } from '../lib/rng.ts';
import { loadYaml, type LoadedYaml } from '../lib/yaml.ts';
import type { TenantQuota } from '../sched/types.ts';
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
  /** Hours of work; absent: runs to the end. */
  hours: z.number().positive().optional(),
  estimate_hours: z.number().positive().optional(),
  preemptible: z.boolean().default(true),
  recovery: z.enum(['gang', 'replica']).default('gang'),
  replica_gpus: z.number().int().min(8).optional(),
}).strict();
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
  nodes_per_replica: z.number().int().min(1).default(1), min_replicas: z.number().int().min(0).default(1), max_replicas: z.number().int().min(1),
  capacity_tokens_per_second: z.number().positive(), peak_tokens_per_second: z.number().positive(),
  trough_fraction: z.number().min(0).max(1).default(0.35), peak_hour: z.number().min(0).max(24).default(20),
}).strict();
const QuotaSchema = z.object({
  tenant: z.string().min(1), guaranteed_gpus: z.number().int().min(0), borrow_limit_gpus: z.number().int().min(0).optional(), weight: z.number().positive().default(1),
}).strict();
const MixSchema = z.object({
  name: z.string().min(1).default('mix'),
  jobs: z.array(JobSchema).default([]), streams: z.array(StreamSchema).default([]),
  services: z.array(ServiceSchema).default([]), quotas: z.array(QuotaSchema).default([]),
}).strict();

function issuesOf(err: z.ZodError, doc: LoadedYaml['doc'], lines: LineCounter): InputIssue[] {
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

const pow2Between = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let g = 8; g <= hi; g *= 2) if (g >= lo) out.push(g);
  return out.length > 0 ? out : [lo];
};

export function parseMixYaml(text: string, fileName: string, days: number, rng: Rng): Workload {
  const { doc, lines, value } = loadYaml(text, fileName);
  const parsed = MixSchema.safeParse(value);
  if (!parsed.success) throw new InputError(issuesOf(parsed.error, doc, lines), fileName);
  const mix = parsed.data;
  const horizon = days * 86_400;
  const nodesFor = (g: number): { nodes: number; gpusPerNode: number } => { const nodes = Math.ceil(g / 8); return { nodes, gpusPerNode: Math.ceil(g / nodes) }; };
  const jobs: WorkloadJob[] = mix.jobs.map((j) => ({
    id: j.id, tenant: j.tenant, priority: j.priority, kind: j.kind, ...nodesFor(j.gpus), submitSeconds: j.submit_hours * 3600,
    workSeconds: j.hours !== undefined ? j.hours * 3600 : Infinity,
    ...(j.estimate_hours !== undefined ? { estimatedRuntimeSeconds: j.estimate_hours * 3600 } : j.hours !== undefined ? { estimatedRuntimeSeconds: j.hours * 3600 } : {}),
    preemptible: j.preemptible, checkpoints: j.kind === 'train', recovery: j.recovery, replicaNodes: Math.max(1, Math.ceil((j.replica_gpus ?? 64) / 8)),
  }));
  for (const s of mix.streams) {
    const sizes = s.gpus.length === 2 && s.gpus[0] < s.gpus[1] ? pow2Between(s.gpus[0], s.gpus[1]) : s.gpus;
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
  const services: ServiceSpec[] = mix.services.map((s) => ({
    id: s.id, tenant: s.tenant, priority: s.priority, nodesPerReplica: s.nodes_per_replica, minReplicas: s.min_replicas, maxReplicas: s.max_replicas,
    capacityTokensPerSecondPerReplica: s.capacity_tokens_per_second, peakOutputTokensPerSecond: s.peak_tokens_per_second,
    troughFraction: s.trough_fraction, peakHour: s.peak_hour,
  }));
  const quotas: TenantQuota[] = mix.quotas.map((q) => ({ tenant: q.tenant, guaranteedGpus: q.guaranteed_gpus, borrowLimitGpus: q.borrow_limit_gpus ?? Infinity, weight: q.weight }));
  return { name: mix.name, jobs, services, rejected: [], quotas };
}
