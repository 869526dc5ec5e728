import type { TrainLayoutReport, TrainPlan } from './train-plan.ts';
import { hsdpShard } from './layout.ts';

/** Text rendering of a training plan (the CLI prints this; `--json` prints the object instead). */
const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');
const s2 = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const gb = (b: number): string => (b / 1e9).toFixed(1);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const big = (x: number): string => (x >= 1e12 ? `${s2(x / 1e12)}T` : x >= 1e9 ? `${s2(x / 1e9)}B` : x >= 1e6 ? `${s2(x / 1e6)}M` : x >= 1e3 ? `${s2(x / 1e3)}k` : s2(x));
const usd = (x: number): string => (x >= 1e9 ? `$${(x / 1e9).toFixed(2)}B` : x >= 1e6 ? `$${(x / 1e6).toFixed(1)}M` : `$${n0(x)}`);

const ZERO = ['no sharding (plain data parallel)', 'ZeRO-1: optimizer states sharded', 'ZeRO-2: optimizer states + gradients sharded', 'ZeRO-3/FSDP: optimizer states + gradients + parameters sharded'];
const RECOMPUTE = { none: 'no activation recomputation', selective: 'selective recomputation (attention core)', full: 'full recomputation (layer inputs kept)' };

export function formatLayoutDetail(r: TrainLayoutReport): string[] {
  const st = r.step;
  const m = r.memoryBytesPerGpu;
  const l = r.layout;
  return [
    `layout       ${l.text}`,
    `             TP ${l.tp}${l.sp ? ' + sequence parallel' : ''}, PP ${l.pp}${l.vpp > 1 ? ` x ${l.vpp} virtual stages` : ''}, DP ${l.dp} (${ZERO[l.zero]}${hsdpShard(l) !== undefined ? `; HSDP: within groups of ${l.shard} ranks, replicated ${(l.dp * l.cp) / l.shard!} times` : ''}), CP ${l.cp}, EP ${l.ep}; ${RECOMPUTE[l.recompute]}`,
    `             ${l.microbatches} micro-batches of ${l.mbs} x ${l.globalBatchTokens / l.globalBatchSeqs} tokens per step; global batch ${n0(l.globalBatchSeqs)} sequences = ${big(l.globalBatchTokens)} tokens; ${n0(r.gpusUsed)} GPUs${r.gpusIdle > 0 ? ` (${n0(r.gpusIdle)} idle)` : ''}`,
    `throughput   ${n0(r.tokensPerSecondPerGpu)} tokens/s/GPU, ${big(r.tokensPerSecond)} tokens/s; step ${s2(r.stepSeconds)} s; ${n0(r.tflopsPerGpu)} TFLOP/s/GPU, MFU ${pct(r.mfu)}`,
    `memory/GPU   weights ${gb(m.weights)} + gradients ${gb(m.gradients)} + optimizer ${gb(m.optimizer)} + activations ${gb(m.activations)} + comm buffers ${gb(m.commBuffers)} = ${gb(m.total)} GB of ${gb(m.limit)} GB usable`,
    `step time    compute ${s2(st.computeSeconds)} s: GEMM ${s2(st.gemmSeconds)}, attention ${s2(st.attentionSeconds)}, element-wise ${s2(st.elementwiseSeconds)}${st.fsdpCopySeconds > 0 ? ` (FSDP copies ${s2(st.fsdpCopySeconds)})` : ''}, recompute ${s2(st.recomputeSeconds)}, LM head ${s2(st.headSeconds)}`,
    `             TP collectives ${s2(st.tp.totalSeconds)} s, ${s2(st.tp.exposedSeconds)} exposed [${st.tp.algorithm}]`,
    `             PP bubble ${s2(st.pp.bubbleSeconds)} s (${pct(st.pp.bubbleFraction)}), p2p ${s2(st.pp.p2pExposedSeconds)} s exposed [${st.pp.algorithm}]`,
    `             DP ${s2(st.dp.totalSeconds)} s, ${s2(st.dp.exposedSeconds)} exposed, ${s2(st.dp.hiddenSeconds)} hidden behind compute [${st.dp.algorithm}]`,
    `             CP ${s2(st.cp.exposedSeconds)} s exposed [${st.cp.algorithm}]; EP all-to-all ${s2(st.ep.seconds)} s [${st.ep.algorithm}]; optimizer ${s2(st.optimizerSeconds)} s; SM contention of hidden comm ${s2(st.commContentionSeconds)} s`,
    ...(st.production ? [`production   +${s2(st.production.stragglerSeconds)} s stragglers, +${s2(st.production.dataLoadingSeconds)} s data loading, +${s2(st.production.loggingSeconds)} s logging per step; ${s2(st.production.checkpointBlockingSeconds)} s blocked per checkpoint`] : []),
    `time, cost   ${s2(r.daysToTrain)} days (${s2(r.daysToTrainNoFailures)} without failures), ${big(r.gpuHours)} GPU-hours, ${n0(r.energyMWh)} MWh facility energy; owned ${usd(r.costOwnedUsd)}, rented ${usd(r.costRentedUsd)}`,
    `failures     MTBF ${s2(r.goodput.mtbfHours)} h on ${n0(r.goodput.nodes)} nodes; checkpoint every ${s2(r.goodput.checkpointIntervalMinutes)} min (Daly; Young ${s2(r.goodput.youngIntervalMinutes)}); restart ${n0(r.goodput.restartSeconds)} s; goodput lost ${pct(r.goodput.lostFraction)}`,
  ];
}

export function formatTrainPlan(p: TrainPlan, explain = false): string {
  const head = `${p.model} on ${n0(p.gpus)} x ${p.gpu}${p.fleet ? ` (fleet ${p.fleet})` : ''}, ${p.precision.toUpperCase()}, seq ${n0(p.seq)}, ${big(p.tokens)} tokens; stack ${p.stack.text}; mode ${p.mode}`;
  const out = [head, `global batch ${p.globalBatchRule}`, '', 'best', ...formatLayoutDetail(p)];
  for (const w of p.warnings) out.push(`warning      ${w}`);
  if (p.alternatives.length > 0) {
    out.push('', 'runners-up   tok/s/GPU    MFU   step s  mem GB    days  layout');
    for (const a of p.alternatives) {
      out.push(`             ${n0(a.tokensPerSecondPerGpu).padStart(9)} ${pct(a.mfu).padStart(6)} ${s2(a.stepSeconds).padStart(8)} ${gb(a.memoryBytesPerGpu.total).padStart(7)} ${s2(a.daysToTrain).padStart(7)}  ${a.layout.text}`);
    }
  }
  out.push('', `${n0(p.layoutsEvaluated)} layouts evaluated; ${n0(p.rejections.reduce((a, r) => a + r.count, 0))} rejected; ${p.rankedBy}`);
  out.push(`MFU convention: ${p.flopsConvention}`);
  if (explain) {
    out.push('', 'rejected layouts, by reason (count, example):');
    for (const r of p.rejections) out.push(`  ${r.reason}: ${n0(r.count)} (e.g. ${r.example})`);
    out.push('', `stack ${p.stack.text} (set one with --stack NAME[,key=value...]):`, ...p.stack.parameters.map((x) => `  ${x.key} = ${x.value}: ${x.source}`));
    out.push('', 'assumptions:', ...p.assumptions.map((a) => `  ${a}`));
  }
  return out.join('\n');
}
