import { InputError, type InputIssue } from '../lib/errors.ts';

export type Recompute = 'none' | 'selective' | 'full';
/** ZeRO stage: 0 none, 1 optimizer states, 2 + gradients, 3 + parameters (FSDP). */
export type ZeroStage = 0 | 1 | 2 | 3;

/** A parallel layout of one training job. GPUs = tp x pp x cp x dp; ep splits experts inside dp x cp. */
export interface Layout {
  readonly tp: number;
  readonly pp: number;
  /** Virtual pipeline stages per GPU (interleaved 1F1B); 1 = plain 1F1B. */
  readonly vpp: number;
  readonly dp: number;
  readonly cp: number;
  readonly ep: number;
  /** Micro-batch size, sequences. */
  readonly mbs: number;
  readonly zero: ZeroStage;
  /** Sequence parallelism (shards norms/dropout activations over tp). */
  readonly sp: boolean;
  readonly recompute: Recompute;
  /** Overlap tensor-parallel collectives with the GEMMs they feed (Megatron/NeMo userbuffers). */
  readonly tpOverlap: boolean;
  /**
   * ZeRO-3/FSDP only: reshard parameters after each forward (FSDP's reshard_after_forward, default true).
   * false keeps the stage's gathered parameters from a micro-batch's forward to its backward: one all-gather
   * fewer per micro-batch, the unsharded BF16 weights in memory (what torchtitan does under pipeline parallelism).
   */
  readonly reshardAfterForward?: boolean;
  /**
   * MoE parallel folding (Megatron-Core --expert-tensor-parallel-size): the experts' own tensor-parallel size,
   * with expert parallelism spanning tp x cp x dp (e.g. tp=4, dp=8, ep=32, etp=1). Undefined: experts use the
   * attention tp and ep lies inside dp x cp.
   */
  readonly etp?: number;
  /**
   * HSDP (FSDP hybrid sharding; ZeRO-3 only): parameters, gradients and optimizer states are sharded within
   * groups of `shard` consecutive data-parallel ranks and replicated across the (dp x cp) / shard groups.
   * All-gathers and reduce-scatters stay inside a group; gradients are all-reduced across the replicas once
   * per step. Undefined (or dp x cp): plain FSDP, sharded over all data-parallel ranks.
   */
  readonly shard?: number;
}

/** Any subset of a layout: keys left out are chosen by the search. */
export type PartialLayout = { -readonly [K in keyof Layout]?: Layout[K] };

const INT_KEYS = ['tp', 'pp', 'vpp', 'dp', 'cp', 'ep', 'mbs', 'etp', 'shard'] as const;
const KNOWN = [...INT_KEYS, 'zero', 'sp', 'recompute', 'tpoverlap', 'reshard'];
const EXAMPLE = 'tp=8,pp=16,vpp=4,dp=64,cp=1,ep=1,mbs=1,zero=1,sp=on,recompute=selective';

function onOff(v: string): boolean | undefined {
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  return undefined;
}

/** Parses `--layout tp=8,pp=16,...`; every bad key or value is reported with what would be accepted. */
export function parseLayout(text: string, field = '--layout'): PartialLayout {
  const out: PartialLayout = {};
  const issues: InputIssue[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim().toLowerCase();
    if (!KNOWN.includes(key)) {
      issues.push({ field: `${field} ${key}`, value: part, expected: `one of ${KNOWN.join(', ')} as key=value, e.g. ${EXAMPLE}` });
      continue;
    }
    if ((INT_KEYS as readonly string[]).includes(key)) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) issues.push({ field: `${field} ${key}`, value, expected: 'a positive integer' });
      else out[key as (typeof INT_KEYS)[number]] = n;
    } else if (key === 'zero') {
      const n = Number(value);
      if (![0, 1, 2, 3].includes(n) || value === '') issues.push({ field: `${field} zero`, value, expected: '0, 1, 2 or 3 (none, optimizer, gradients, parameters)' });
      else out.zero = n as ZeroStage;
    } else if (key === 'recompute') {
      if (value !== 'none' && value !== 'selective' && value !== 'full') issues.push({ field: `${field} recompute`, value, expected: 'none, selective or full' });
      else out.recompute = value;
    } else {
      const b = onOff(value);
      if (b === undefined) issues.push({ field: `${field} ${key}`, value, expected: 'on or off' });
      else if (key === 'sp') out.sp = b;
      else if (key === 'reshard') out.reshardAfterForward = b;
      else out.tpOverlap = b;
    }
  }
  if (issues.length > 0) throw new InputError(issues);
  return out;
}

/** `tp=8,pp=16,vpp=4,...`, the same syntax `--layout` reads. */
export function formatLayout(l: Layout): string {
  return `tp=${l.tp},pp=${l.pp},vpp=${l.vpp},dp=${l.dp},cp=${l.cp},ep=${l.ep},mbs=${l.mbs},zero=${l.zero},sp=${l.sp ? 'on' : 'off'},recompute=${l.recompute}${l.zero === 3 && l.reshardAfterForward === false ? ',reshard=off' : ''}${l.etp !== undefined ? `,etp=${l.etp}` : ''}${hsdpShard(l) !== undefined ? `,shard=${l.shard}` : ''}`;
}

/** The experts' tensor-parallel size: etp when folded, else the attention tp. */
export const expertTp = (l: Pick<Layout, 'tp' | 'etp'>): number => l.etp ?? l.tp;
/** Ranks that hold the same experts (expert data parallel): folded, tp x cp x dp / (etp x ep); else dp x cp / ep. */
export const expertDataParallel = (l: Pick<Layout, 'tp' | 'cp' | 'dp' | 'ep' | 'etp'>): number =>
  Math.max(1, l.etp !== undefined ? (l.tp * l.cp * l.dp) / (l.etp * l.ep) : (l.dp * l.cp) / l.ep);

/** The HSDP shard group size when the layout is hybrid-sharded (ZeRO-3, shard < dp x cp); undefined for plain FSDP or no ZeRO-3. */
export const hsdpShard = (l: Pick<Layout, 'zero' | 'dp' | 'cp' | 'shard'>): number | undefined =>
  (l.zero === 3 && l.shard !== undefined && l.shard < l.dp * l.cp ? l.shard : undefined);
/** Ranks one dense parameter is sharded over: the HSDP group, else all dp x cp ranks. */
export const denseShardRanks = (l: Pick<Layout, 'zero' | 'dp' | 'cp' | 'shard'>): number => hsdpShard(l) ?? l.dp * l.cp;

export const layoutGpus = (l: Layout): number => l.tp * l.pp * l.cp * l.dp;

/**
 * Layers on the most loaded pipeline stage. Layers need not divide evenly (Megatron's uneven split):
 * each of the pp x vpp model chunks gets ceil(layers / (pp x vpp)) or one fewer.
 */
export const layersOnStage = (layers: number, l: Pick<Layout, 'pp' | 'vpp'>): number => Math.ceil(layers / (l.pp * l.vpp)) * l.vpp;
