import { ImpossibleError, InputError } from '../lib/errors.ts';
import type { PlanContext } from './context.ts';
import { evaluateLayout, type Evaluated } from './evaluate.ts';
import { formatLayout, layersOnStage, type Layout, type PartialLayout, type Recompute, type ZeroStage } from './layout.ts';
import { layerCost } from './layer-cost.ts';
import { memoryPerGpu, stateBytesPerGpu, type MemoryBreakdown } from './memory.ts';
import { modelFlopsPerToken } from './shape.ts';

/**
 * The former default (Llama 3 405B's 16M-token batch, and 1,024 tokens per GPU beyond 16k GPUs); kept
 * for callers that imported it. The planner's default is now `defaultGlobalBatch` below.
 */
export const DEFAULT_GLOBAL_BATCH_TOKENS = 16 * 1024 * 1024;
export const DEFAULT_BATCH_TOKENS_PER_GPU = 1024;
export const defaultGlobalBatchTokens = (gpus: number): number => Math.max(DEFAULT_GLOBAL_BATCH_TOKENS, DEFAULT_BATCH_TOKENS_PER_GPU * gpus);

/** Where the default global batch comes from, as printed in every plan. */
export const BATCH_RULE_SOURCE = 'DeepSeek LLM (Bi et al. 2024, sec. 3.1, eq. 1): optimal batch B = 0.2920 x C^0.3271 tokens for a compute budget of C FLOPs (model FLOPs per token x training tokens)';

/**
 * Default global batch in tokens, from the compute budget (BATCH_RULE_SOURCE). It gives 9.2M tokens for
 * 7B parameters on 2T tokens (DeepSeek 7B trained with 9.4M) and 68M for Llama 3 405B on 15T. The law's
 * near-optimal band is wide (the paper's fig. 3), so the search may use, per layout, the nearest batch that
 * splits evenly over the data-parallel ranks, within a factor of 2; a batch the user gives is kept exactly.
 */
export function defaultGlobalBatch(ctx: PlanContext): { tokens: number; seqs: number; rule: string } {
  const compute = modelFlopsPerToken(ctx.shape, ctx.seq) * ctx.req.tokens;
  const tokens = 0.292 * compute ** 0.3271;
  const seqs = Math.max(1, Math.round(tokens / ctx.seq));
  return { tokens, seqs, rule: `${BATCH_RULE_SOURCE}: C = ${compute.toExponential(2)} FLOPs gives ${(tokens / 1e6).toFixed(1)}M tokens (${seqs.toLocaleString('en-US')} sequences of ${ctx.seq})` };
}

export interface SearchOptions {
  /** Keys given by the user (`--layout`); the rest are searched. */
  readonly fixed?: PartialLayout;
  /** How many layouts to return, best first. */
  readonly top?: number;
  /**
   * Global batch in sequences, used exactly: only layouts whose dp x mbs divides it are planned.
   * Undefined: defaultGlobalBatch, which the search may move to the nearest evenly split batch within a factor of 2.
   */
  readonly globalBatchSeqs?: number;
  /** No longer needed (a given batch is always kept exactly); accepted for callers that pass it. */
  readonly exactGlobalBatch?: boolean;
  /**
   * Evaluate layouts the memory model puts over the limit instead of rejecting them (validation of a
   * published run: it ran, so it fit; the memory verdict is still in each result's `memory`).
   */
  readonly allowOverMemory?: boolean;
}

/** Why a candidate layout was dropped, with how many were dropped for it. */
export interface Rejection { readonly reason: string; readonly count: number; readonly example: string }

export interface SearchResult {
  /** Best first: highest total tokens/s (shortest time to train); ties broken deterministically. */
  readonly ranked: readonly Evaluated[];
  readonly evaluated: number;
  readonly rejections: readonly Rejection[];
  /** Of the layouts over memory, the one that came closest (for --explain and the error message). */
  readonly closestOverMemory?: { readonly layout: Layout; readonly memory: MemoryBreakdown };
}

/** Stacks that run ZeRO-2/3 together with pipeline parallelism: torchtitan (FSDP2 + torch.distributed.pipelining), MaxText (FSDP + pipeline). Megatron-Core and DeepSpeed pair pipelines with ZeRO-1 only. */
const ZERO_WITH_PP: readonly string[] = ['fsdp', 'fsdp-compile', 'jax'];

const BATCH_NOT_SPLIT_OVER_DP = 'the global batch does not split evenly over dp (sequences per data-parallel rank must be whole)';

const divisors = (n: number): number[] => {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
};
const pick = <T>(fixed: T | undefined, all: readonly T[]): readonly T[] => (fixed !== undefined ? [fixed] : all);

/** Better-first order: more tokens/s, then fewer GPUs, then less memory, then the layout text. */
function better(a: Evaluated, b: Evaluated): number {
  const ta = a.tokensPerSecond, tb = b.tokensPerSecond;
  if (Math.abs(ta - tb) > 1e-9 * Math.max(ta, tb)) return tb - ta;
  if (a.gpusUsed !== b.gpusUsed) return a.gpusUsed - b.gpusUsed;
  if (a.memory.total !== b.memory.total) return a.memory.total - b.memory.total;
  return formatLayout(a.layout) < formatLayout(b.layout) ? -1 : 1;
}

/**
 * Searches tp, pp, vpp, dp, cp, ep, mbs, zero and recompute for the layout that trains fastest
 * on `gpus` GPUs (dp = the most that fit; leftover GPUs idle). Pruned: structural rules first
 * (divisibility, tp inside a node), then memory (cheap), then the step-time model (memoized per layer).
 */
export function searchLayouts(ctx: PlanContext, opts: SearchOptions = {}): SearchResult {
  const f = opts.fixed ?? {};
  const s = ctx.shape;
  const gpus = ctx.hw.gpus;
  const top = Math.max(1, opts.top ?? 5);
  const ranked: Evaluated[] = [];
  const rejections = new Map<string, Rejection>();
  const reject = (reason: string, l: Partial<Layout>): void => {
    const r = rejections.get(reason);
    const example = (): string => ('recompute' in l && 'zero' in l ? formatLayout(l as Layout) : Object.entries(l).map(([k, v]) => `${k}=${v}`).join(','));
    rejections.set(reason, { reason, count: (r?.count ?? 0) + 1, example: r?.example ?? example() });
  };
  let evaluated = 0;
  let closest: SearchResult['closestOverMemory'];

  const tps = pick(f.tp, [1, 2, 4, 8, 16].filter((t) => t <= ctx.hw.gpusPerNode && s.heads % t === 0 && (s.kvHeads % t === 0 || t % s.kvHeads === 0)));
  const cps = pick(f.cp, [1, 2, 4, 8, 16, 32].filter((c) => ctx.seq % (2 * c) === 0 && (c === 1 || ctx.seq / c >= 1024)));
  // Pipeline sizes: divisors of the layer count, plus powers of two (uneven split, Megatron style).
  const pps = pick(f.pp, [...new Set([...divisors(s.layers), 1, 2, 4, 8, 16, 32, 64])].filter((p) => p <= Math.min(64, s.layers)).sort((a, b) => a - b));
  const eps = pick(f.ep, s.moe ? divisors(s.experts).filter((e) => e <= 64) : [1]);
  const mbss = pick(f.mbs, [1, 2, 4, 8]);
  const zeros = pick<ZeroStage>(f.zero, [0, 1, 2, 3]);
  const recomputes = pick<Recompute>(f.recompute, ['none', 'selective', 'full']);

  const stateLimit = memoryPerGpu(s, { tp: 1, pp: 1, vpp: 1, dp: 1, cp: 1, ep: 1, mbs: 1, zero: 0, recompute: 'full', sp: false, tpOverlap: false }, ctx.seq, 1, ctx.hw.gpu.hbmBytes.value).limit;
  // Default batch: the multiple of dp x mbs nearest the default, within a factor of 2.
  const wanted = opts.globalBatchSeqs ?? defaultGlobalBatch(ctx).seqs;
  const exactSeqs = opts.globalBatchSeqs;
  for (const tp of tps) for (const cp of cps) for (const pp of pps) {
    // A --layout tp or cp skips the filters above, so the structural rules are checked here too.
    if (s.heads % tp !== 0 || (s.kvHeads % tp !== 0 && tp % s.kvHeads !== 0)) { reject(`tp must divide the ${s.heads} attention heads and the ${s.kvHeads} KV heads (or be a multiple of the KV heads)`, { tp }); continue; }
    if (ctx.seq % (2 * cp) !== 0) { reject(`cp must divide half the sequence (${ctx.seq / 2} tokens: each rank takes two chunks for causal load balance)`, { cp }); continue; }
    if (pp > s.layers) { reject(`pp cannot exceed the ${s.layers} layers`, { tp, cp, pp }); continue; }
    const dp = f.dp ?? Math.floor(gpus / (tp * pp * cp));
    if (dp < 1) { reject(`tp x pp x cp exceeds the ${gpus} GPUs`, { tp, cp, pp }); continue; }
    if (tp * pp * cp * dp > gpus) { reject(`tp x pp x cp x dp exceeds the ${gpus} GPUs`, { tp, cp, pp, dp }); continue; }
    // Model chunks (pp x vpp) may number up to layers + 2: Megatron can count the embedding and the loss as a layer each.
    const vpps = pick(f.vpp, pp === 1 ? [1] : [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16].filter((v) => pp * v <= s.layers + 2));
    for (const vpp of vpps) {
      if (pp === 1 && vpp > 1) { reject('vpp > 1 needs pp > 1', { pp, vpp }); continue; }
      if (pp * vpp > s.layers + 2) { reject('pp x vpp cannot exceed the layers + 2 (embedding and loss stages)', { pp, vpp }); continue; }
      for (const ep of eps) {
        if (!s.moe && ep > 1) { reject('ep > 1 needs a mixture-of-experts model', { ep }); continue; }
        if (f.etp !== undefined && (!s.moe || s.experts % ep !== 0 || (tp * cp * dp) % (ep * f.etp) !== 0)) { reject('folded MoE: ep must divide the experts, and ep x etp must divide tp x cp x dp', { tp, cp, dp, ep }); continue; }
        if (f.etp === undefined && s.moe && (s.experts % ep !== 0 || (dp * cp) % ep !== 0)) { reject('ep must divide the experts and dp x cp (or fold it over tp with etp=)', { dp, cp, ep }); continue; }
        for (const mbs of mbss) {
          // Interleaving needs the micro-batches to be a multiple of pp, so for vpp > 1 the batch is rounded
          // to the nearest such multiple (as Megatron users size it: 16M tokens on dp 128 x pp 16 is 16 each).
          const perStep = dp * mbs;
          const mWanted = vpp > 1 ? pp * Math.max(1, Math.round(wanted / (perStep * pp))) : Math.max(1, Math.round(wanted / perStep));
          const gbs = exactSeqs ?? perStep * mWanted;
          if (exactSeqs === undefined && vpp > 1 && gbs > 2 * wanted) { reject('interleaving needs micro-batches to be a multiple of pp, and pp of them would exceed twice the global batch', { pp, vpp, dp, mbs }); continue; }
          if (exactSeqs !== undefined && exactSeqs % dp !== 0) { reject(BATCH_NOT_SPLIT_OVER_DP, { dp }); continue; }
          if (gbs % perStep !== 0) { reject('mbs must divide the per-rank batch (global batch / dp)', { dp, mbs }); continue; }
          if (gbs > 2 * wanted) { reject('dp x mbs exceeds twice the default global batch (give --global-batch to set one)', { dp, mbs }); continue; }
          const m = gbs / perStep;
          if (vpp > 1 && m % pp !== 0) { reject('interleaving needs micro-batches to be a multiple of pp', { pp, vpp, mbs }); continue; }
          for (const zero of zeros) {
            if (pp > 1 && zero >= 2 && !ZERO_WITH_PP.includes(ctx.stack.name)) { reject(`ZeRO-2/3 with pipeline parallelism needs a stack that runs it (${ZERO_WITH_PP.join(', ')}); ${ctx.stack.name} does not`, { pp, zero }); continue; }
            if (f.shard !== undefined && (zero !== 3 || (dp * cp) % f.shard !== 0)) { reject('shard= (HSDP) needs zero=3 and must divide dp x cp (the ranks it shards over)', { dp, cp, zero, shard: f.shard }); continue; }
            const reshards = zero === 3 && pp > 1 ? pick<boolean>(f.reshardAfterForward, [true, false]) : [f.reshardAfterForward ?? true];
            // HSDP candidates: plain FSDP, and sharding within the data-parallel ranks of one node (replicated across nodes).
            const nodeShard = Math.max(1, Math.floor(ctx.hw.gpusPerNode / tp));
            const shards: readonly (number | undefined)[] = zero !== 3 ? [undefined]
              : f.shard !== undefined ? [f.shard]
                : nodeShard >= 2 && nodeShard < dp * cp && (dp * cp) % nodeShard === 0 ? [undefined, nodeShard] : [undefined];
            for (const reshard of reshards) for (const shard of shards) {
              const rs = { ...(reshard ? {} : { reshardAfterForward: false }), ...(shard !== undefined && shard < dp * cp ? { shard } : {}) };
              // Weights, gradients and optimizer states alone over the limit: no micro-batch or recompute can help.
              const lightest: Layout = { tp, pp, vpp, dp, cp, ep, mbs, zero, recompute: recomputes[recomputes.length - 1], sp: f.sp ?? tp > 1, tpOverlap: f.tpOverlap ?? (ctx.stack.tpOverlap.value && tp > 1), ...rs, ...(f.etp !== undefined ? { etp: f.etp } : {}) };
              if (!opts.allowOverMemory && stateBytesPerGpu(s, lightest, ctx.gradBytes, ctx.states) > stateLimit) {
                const mem = memoryPerGpu(s, lightest, ctx.seq, m, ctx.hw.gpu.hbmBytes.value, ctx.flashAttention, ctx.fp8, ctx.gradBytes, ctx.states);
                if (!closest || mem.total - mem.limit < closest.memory.total - closest.memory.limit) closest = { layout: lightest, memory: mem };
                for (let i = 0; i < recomputes.length; i++) reject('does not fit GPU memory', lightest);
                continue;
              }
              for (const recompute of recomputes) {
                const layout: Layout = { tp, pp, vpp, dp, cp, ep, mbs, zero, recompute, sp: f.sp ?? tp > 1, tpOverlap: f.tpOverlap ?? (ctx.stack.tpOverlap.value && tp > 1), ...rs, ...(f.etp !== undefined ? { etp: f.etp } : {}) };
                const mem = memoryPerGpu(s, layout, ctx.seq, m, ctx.hw.gpu.hbmBytes.value, ctx.flashAttention, ctx.fp8, ctx.gradBytes, ctx.states);
                if (mem.total > mem.limit && !opts.allowOverMemory) {
                  reject('does not fit GPU memory', layout);
                  if (!closest || mem.total - mem.limit < closest.memory.total - closest.memory.limit) closest = { layout, memory: mem };
                  continue;
                }
                // Bound: the layers alone, with no bubble or data-parallel time, already too slow for the top list.
                if (ranked.length >= top) {
                  const lowerBoundSeconds = m * layersOnStage(s.layers, layout) * layerCost(ctx, layout).totalSeconds;
                  if ((gbs * ctx.seq) / lowerBoundSeconds < ranked[ranked.length - 1].tokensPerSecond) { reject(`cannot beat the top ${top} (bound on layer time)`, layout); break; }
                }
                evaluated++;
                const e = evaluateLayout(ctx, layout, gbs, mem);
                if (ranked.length < top || better(e, ranked[ranked.length - 1]) < 0) {
                  ranked.push(e);
                  ranked.sort(better);
                  if (ranked.length > top) ranked.pop();
                }
                // More recomputation only trades time for memory: once a layout fits, heavier recompute cannot be faster.
                break;
              }
            }
          }
        }
      }
    }
  }
  return { ranked, evaluated, rejections: [...rejections.values()], ...(closest ? { closestOverMemory: closest } : {}) };
}

/** Search, or explain why nothing works: an ImpossibleError that says which limit was hit and what would work. */
export function bestLayouts(ctx: PlanContext, opts: SearchOptions = {}): SearchResult {
  const f = opts.fixed ?? {};
  if (f.tpOverlap === true && (ctx.stack.name === 'fsdp' || ctx.stack.name === 'deepspeed')) {
    throw new InputError({ field: '--layout tpoverlap', value: 'on', expected: `off under the ${ctx.stack.name} stack, which has no tensor-parallel communication overlap (${ctx.stack.tpOverlap.source})` });
  }
  if (f.tp !== undefined && f.pp !== undefined && f.cp !== undefined && f.dp !== undefined) {
    const used = f.tp * f.pp * f.cp * f.dp;
    if (used !== ctx.hw.gpus) {
      throw new InputError({ field: '--layout', value: `tp=${f.tp},pp=${f.pp},cp=${f.cp},dp=${f.dp}`, expected: `tp x pp x cp x dp = ${ctx.hw.gpus} (the GPU count); this layout uses ${used}: drop dp= to let the planner choose it, or use --gpus ${used}` });
    }
  }
  const r = searchLayouts(ctx, opts);
  if (r.ranked.length > 0) return r;
  const mem = r.rejections.find((x) => x.reason === 'does not fit GPU memory');
  const others = r.rejections.filter((x) => x !== mem).map((x) => `${x.reason} (${x.count}, e.g. ${x.example})`);
  if (mem) {
    const hbm = ctx.hw.gpu.hbmBytes.value;
    const stateBytes = ctx.shape.totalParams * 16;
    const minGpus = Math.ceil(stateBytes / (hbm * 0.6));
    const c = r.closestOverMemory;
    const gb = (b: number): string => (b / 1e9).toFixed(1);
    const closestText = c ? `; closest: ${formatLayout(c.layout)} needs ${gb(c.memory.total)} GB (weights ${gb(c.memory.weights)}, gradients ${gb(c.memory.gradients)}, optimizer ${gb(c.memory.optimizer)}, activations ${gb(c.memory.activations)}, comm buffers ${gb(c.memory.commBuffers)}) > ${gb(c.memory.limit)} GB usable` : '';
    throw new ImpossibleError(
      `no layout of ${ctx.req.model.name} fits ${ctx.hw.gpus} x ${ctx.hw.gpu.name} (${(hbm / 1e9).toFixed(0)} GB each): ${mem.count} layouts over memory${closestText}` + (others.length ? `; also ${others.join('; ')}` : ''),
      `weights + gradients + Adam states need ${(stateBytes / 1e12).toFixed(2)} TB before activations; try at least ~${minGpus} GPUs (--gpus), recompute=full, a shorter --seq, or a GPU with more memory (--gpu h200/b200)`,
    );
  }
  const batch = opts.globalBatchSeqs;
  const split = r.rejections.find((x) => x.reason === BATCH_NOT_SPLIT_OVER_DP);
  if (batch !== undefined && split) {
    const dp = Number(/dp=(\d+)/.exec(split.example)?.[1] ?? 1);
    const lower = Math.floor(batch / dp) * dp;
    const fits = divisors(batch).filter((d) => d <= ctx.hw.gpus && ctx.hw.gpus % d === 0 && d >= dp / 2).pop();
    throw new ImpossibleError(
      `the global batch of ${batch.toLocaleString('en-US')} sequences cannot be split over the data-parallel ranks of any layout of ${ctx.hw.gpus.toLocaleString('en-US')} GPUs (e.g. dp = ${dp}: ${(batch / dp).toFixed(2)} sequences each); the batch is used exactly, never rounded${others.length > 1 ? `; also ${others.filter((x) => !x.startsWith(BATCH_NOT_SPLIT_OVER_DP)).join('; ')}` : ''}`,
      `give a batch that is a multiple of dp, e.g. ${lower > 0 ? `${lower.toLocaleString('en-US')} or ` : ''}${(lower + dp).toLocaleString('en-US')} sequences for dp = ${dp} (--global-batch ${lower > 0 ? lower * ctx.seq : (lower + dp) * ctx.seq})${fits !== undefined ? `, or fix dp=${fits} in --layout (it divides ${batch}), leaving the other GPUs to tp x pp x cp` : ''}`,
    );
  }
  throw new ImpossibleError(
    `no valid layout for ${ctx.req.model.name} on ${ctx.hw.gpus} GPUs: ${others.join('; ') || 'every candidate was rejected'}`,
    'use a GPU count that is a multiple of 8 (tp x pp x cp), leave more --layout keys to the search, or change --global-batch to a multiple of dp x mbs sequences',
  );
}
