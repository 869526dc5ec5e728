import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../lib/errors.ts';
import { planContext } from '../context.ts';
import { homogeneousHardware } from '../fleet-hardware.ts';
import { stepTime } from '../step-time.ts';
import { parseStack } from '../stack.ts';
import { compareProfile, gpuIdOfDevice, parseStepProfile } from './profile.ts';

const PY = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '../../../scripts/profile-step.py');
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { timeout: 30_000 }).status === 0;

test('profile-step.py measures a GPT step on CPU (real PyTorch), split as the planner splits it', { skip: !hasTorch && 'python3-torch not installed', timeout: 120_000 }, () => {
  const [h, layers, heads, vocab, seq, mbs] = [32, 2, 4, 128, 16, 2];
  const r = spawnSync(PY, [SCRIPT, '--hidden', `${h}`, '--layers', `${layers}`, '--heads', `${heads}`, '--vocab', `${vocab}`, '--seq', `${seq}`, '--mbs', `${mbs}`, '--warmup', '1', '--reps', '2', '--device', 'cpu'], { encoding: 'utf8', timeout: 110_000 });
  assert.equal(r.status, 0, r.stderr);
  const p = parseStepProfile(JSON.parse(r.stdout));
  assert.deepEqual({ ...p.config, name: '' }, { name: '', hidden: h, layers, heads, ffn: 4 * h, vocab, seq, mbs, dropout: 0 });
  const s = p.seconds;
  for (const k of ['gemm', 'attention', 'layer', 'head', 'step', 'optimizer'] as const) assert.ok(s[k] > 0, `${k} ${s[k]}`);
  assert.equal(s.elementwise, Math.max(0, s.layer - s.gemm - s.attention));
  // Megatron GPT: token + position embeddings, per layer 2 LayerNorms (weight + bias), QKV, proj, FC1, FC2 with biases; final norm; untied head.
  const f = 4 * h;
  const perLayer = 2 * 2 * h + (h * 3 * h + 3 * h) + (h * h + h) + (h * f + f) + (f * h + h);
  assert.equal((JSON.parse(r.stdout) as { params: number }).params, vocab * h + seq * h + layers * perLayer + 2 * h + vocab * h);
  // On CPU it runs in float32, which the planner does not model: the comparison refuses it by name.
  assert.throws(() => compareProfile(p), (e: unknown) => e instanceof InputError && e.issues[0]!.field === 'device');
});

test('profile-step.py rejects a hidden size the head count does not divide, naming both flags', { skip: !hasTorch && 'python3-torch not installed', timeout: 60_000 }, () => {
  const r = spawnSync(PY, [SCRIPT, '--hidden', '65', '--heads', '4', '--device', 'cpu'], { encoding: 'utf8', timeout: 50_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--hidden 65 is not divisible by --heads 4/);
});

test('compareProfile sets each measured part against the planner part of the same model, micro-batch and GPU', () => {
  const config = { name: 'gpt 1.7b', hidden: 2048, layers: 24, heads: 16, ffn: 8192, vocab: 131072, seq: 4096, mbs: 4, dropout: 0 };
  const seconds = { gemm: 0.2, attention: 0.06, layer: 0.3, elementwise: 0.04, head: 0.08, step: 0.45, optimizer: 0.02 };
  const cmp = compareProfile(parseStepProfile({ config, device: 'NVIDIA H100 80GB HBM3', dtype: 'bfloat16', torch: '2.11.0', seconds, attentionBackends: { cudnn_attention: 0.05 } }));
  assert.equal(cmp.gpuId, 'h100');
  const ctx = planContext({
    model: { ...config, kvHeads: 16, ffnKind: 'plain', context: 4096, publishedParams: 0, source: { ref: 'test', kind: 'D' } },
    hardware: homogeneousHardware('h100', 1), precision: 'bf16', seq: 4096, tokens: 1e12, attention: 'flash',
  });
  const b = stepTime(ctx, { tp: 1, pp: 1, vpp: 1, dp: 1, cp: 1, ep: 1, mbs: 4, zero: 0, sp: false, recompute: 'none', tpOverlap: false }, 4);
  const byName = new Map(cmp.parts.map((x) => [x.part, x]));
  assert.equal(byName.get('step')!.predictedSeconds, b.stepSeconds);
  assert.equal(byName.get('gemm (layers)')!.predictedSeconds, b.gemmSeconds);
  assert.equal(byName.get('attention cuDNN vs cuDNN model')!.measuredSeconds, 0.05);
  assert.ok(!byName.has('attention flash vs FlashAttention-2 model'), 'a backend the profile did not measure is not compared');
  const step = byName.get('step')!;
  assert.ok(Math.abs(step.errorPct - (b.stepSeconds / 0.45 - 1) * 100) < 1e-9);
});

test('profile-step.py sorts CUDA kernels by name into GEMM, attention and the rest (element-wise, reductions, copies)', { skip: !hasTorch && 'python3-torch not installed', timeout: 60_000 }, () => {
  // Kernel names as cuBLAS, cuDNN, FlashAttention, CUTLASS and ATen print them on Ampere and Hopper.
  const names: Record<string, string> = {
    'sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x256x64_warpgroupsize2x1x1_execute_segment_k_off_kernel__5x_cublas': 'gemm',
    'nvjet_tst_128x256_64x4_1x2_h_bz_coopA_NTT': 'gemm',
    'ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_64x3_tn': 'gemm',
    'cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_knob_3_64x64x128_4x1x1_kernel0_0': 'attention',
    'void flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel<Flash_bwd_kernel_traits<128, 64, 128, 8, 2, 4, 2, false, false, cutlass::bfloat16_t>>': 'attention',
    'fmha_cutlassB_bf16_aligned_64x64_k128_sm80': 'attention',
    'void at::native::(anonymous namespace)::GammaBetaBackwardCUDAKernel<c10::BFloat16, float>(long, long, c10::BFloat16 const*)': 'other',
    'void at::native::vectorized_elementwise_kernel<4, at::native::GeluCUDAKernelImpl(at::TensorIteratorBase&, at::native::GeluType)>': 'other',
    'void at::native::(anonymous namespace)::fused_dropout_kernel_vec<c10::BFloat16, float, unsigned int, 1, 4, bool>': 'other',
    'Memcpy DtoD (Device -> Device)': 'other',
  };
  const code = `import importlib.util, json, sys\nspec = importlib.util.spec_from_file_location('ps', sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\nprint(json.dumps({n: m.kernel_kind(n) for n in json.loads(sys.argv[2])}))`;
  const r = spawnSync(PY, ['-c', code, SCRIPT, JSON.stringify(Object.keys(names))], { encoding: 'utf8', timeout: 50_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), names);
});

test('a profile with the layer kernels (torch.profiler) compares them too; one without them does not', () => {
  const config = { name: 'gpt 1.7b', hidden: 2048, layers: 24, heads: 16, ffn: 8192, vocab: 131072, seq: 4096, mbs: 4, dropout: 0 };
  const seconds = { gemm: 0.16, attention: 0.05, layer: 0.26, elementwise: 0.05, head: 0.06, step: 0.36, optimizer: 0.025 };
  const base = { config, device: 'NVIDIA H200', dtype: 'bfloat16', torch: '2.11.0', seconds };
  const without = compareProfile(parseStepProfile(base), parseStack('fsdp'));
  assert.ok(!without.parts.some((x) => x.part.includes('(profiler)')));
  const withKernels = compareProfile(parseStepProfile({ ...base, layerKernels: { gemm: 0.17, attention: 0.049, other: 0.04, kernelsPerLayer: 61 } }), parseStack('fsdp'));
  const byName = new Map(withKernels.parts.map((x) => [x.part, x]));
  const ew = byName.get('elementwise kernels in the layer (profiler)')!;
  assert.equal(ew.measuredSeconds, 0.04);
  assert.equal(ew.predictedSeconds, byName.get('elementwise (layer - gemm - attention)')!.predictedSeconds);
  assert.equal(byName.get('gemm kernels in the layer (profiler)')!.measuredSeconds, 0.17);
  assert.equal(byName.get('attention kernels in the layer (profiler)')!.measuredSeconds, 0.049);
  assert.throws(() => parseStepProfile({ ...base, layerKernels: { gemm: 0.1 } }), (e: unknown) => e instanceof InputError && e.issues.some((i) => i.field === 'layerKernels.other'));
});

test('gpuIdOfDevice maps CUDA device names to catalog GPUs and names the field when it cannot', () => {
  assert.equal(gpuIdOfDevice('NVIDIA H200'), 'h200');
  assert.equal(gpuIdOfDevice('NVIDIA A100-SXM4-80GB'), 'a100');
  assert.throws(() => gpuIdOfDevice('NVIDIA GeForce RTX 4090'), (e: unknown) => e instanceof InputError && e.issues[0]!.field === 'device' && e.issues[0]!.value === 'NVIDIA GeForce RTX 4090');
  assert.throws(() => parseStepProfile({ config: {} }), (e: unknown) => e instanceof InputError && e.issues.some((i) => i.field === 'config.hidden'));
});

const H200 = join(import.meta.dirname, '../../../../shared/data/profiles/h200');
const h200Profiles = existsSync(H200) ? readdirSync(H200).filter((f) => /^gpt.*\.json$/.test(f)) : [];

/**
 * The H200 step profiles are eager PyTorch (scripts/profile-step.py) with SDPA's default cuDNN attention,
 * so the `fsdp` stack is theirs. Its element-wise and optimizer rates come from the separate microbenchmarks
 * in fusion.json, not from these profiles. One measured part is left out: the element-wise residual of the
 * dropout profile (layer - gemm - attention, 40.1 ms) is smaller than without dropout (47.6 ms) although
 * dropout only adds work (48 native_dropout kernels, 10 B per element forward + backward: 16.1 GB, at least
 * 3.7 ms), so the residual carries at least 11 ms (28%) of error; its GEMMs, timed alone with identical
 * shapes, came out 7 ms (4%) slower than in the other profile. Even at zero dropout cost the planner would be
 * +35% on it (docs/readme/planner.md, "Device check"). The layer total it comes from is checked.
 */
test('under the fsdp stack every part of each H200 profile is within 15%', { skip: h200Profiles.length === 0 && 'shared/data/profiles/h200 not present' }, () => {
  const want = ['gemm (layers)', 'attention (default backend vs cudnn model)', 'elementwise (layer - gemm - attention)', 'layer total x layers', 'head + loss (+ embedding)', 'optimizer', 'step'];
  for (const f of h200Profiles) {
    const p = parseStepProfile(JSON.parse(readFileSync(join(H200, f), 'utf8')));
    const cmp = compareProfile(p, parseStack('fsdp'));
    for (const name of want) {
      if (name.startsWith('elementwise') && p.config.dropout > 0) continue;
      const part = cmp.parts.find((x) => x.part === name);
      assert.ok(part, `${f}: ${name}`);
      assert.ok(Math.abs(part.errorPct) <= 15, `${f} ${name}: ${part.errorPct.toFixed(1)}%`);
    }
  }
});

test('under the default megatron stack the eager profiles show the fused-kernel gap the issue reported', { skip: h200Profiles.length === 0 && 'shared/data/profiles/h200 not present' }, () => {
  const p = parseStepProfile(JSON.parse(readFileSync(join(H200, 'gpt-1.7b.json'), 'utf8')));
  const parts = new Map(compareProfile(p).parts.map((x) => [x.part, x.errorPct]));
  assert.ok(parts.get('optimizer')! < -40, 'megatron optimizer model is the distributed optimizer at 90% HBM');
  assert.ok(parts.get('elementwise (layer - gemm - attention)')! < -25);
});
