import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from './csv.ts';
import { validationCases } from './rows.ts';

const header = 'id,model,params_b,layers,hidden,heads,kv_heads,ffn,vocab,moe_experts,moe_topk,seq_len,global_batch_seqs,num_gpus,gpu_class,precision_class,tp,pp,dp,cp,ep,vpp,mbs,zero_or_fsdp,recompute,framework,tflops_per_gpu,flops_convention,tokens_per_s_per_gpu,source_ref';
const rows = [
  'R1,GPT 174.6B,174.6,96,12288,96,,49152,51200,,,2048,1536,384,A100-80GB,FP16,,,384,,,,4,ZeRO-3 (DeepSpeed),full,DeepSpeed ZeRO-3,144,Narayanan eq.3 (96 factor),,Table 2',
  'R2,Grok-1 314B (proxy),,2,6144,48,8,32768,131072,8,2,4096,1024,8,H100-SXM-80GB,BF16,4,1,,1,2,,1,,,NeMo (dgxc Grok-1 recipe),,,21818,grok1/README_314b.md (git 35a9aec)',
  'R3,Llama 3.1 70B,70,80,8192,64,8,28672,128256,,,8192,128,64,H100-SXM-80GB,BF16,4,4,2,2,,5,1,,,NeMo 24.11,,,1113,llama3.1 (git 35a9aec)',
];
const { cases } = validationCases(parseCsv([header, ...rows].join('\n') + '\n'));
const byId = (id: string) => cases.find((c) => c.id === id)!;

test('DeepSpeed 2021 ZeRO-3 rows are kept but excluded with a reason', () => {
  assert.match(byId('R1').excluded ?? '', /DeepSpeed/);
  assert.equal(byId('R1').attention, 'unfused');
  assert.equal(byId('R3').excluded, undefined);
});

test('the Grok-1 recipe runs FlashAttention-2, one GEMM pair per expert and capacity-padded tokens', () => {
  const g = byId('R2');
  assert.equal(g.attention, 'flash2');
  assert.equal(g.moeExperts, 'sequential');
  assert.equal(g.moeCapacityFactor, 1);
});

test('a NeMo row that states its layout but not recompute runs without recompute and is evaluated even over memory', () => {
  const l = byId('R3');
  assert.equal(l.layout.recompute, 'none');
  assert.equal(l.allowOverMemory, true);
  assert.equal(l.attention, 'flash');
});

test('plain Megatron-LM launches (Megatron-Core README rows) reduce BF16 gradients in FP32; NeMo rows do not', () => {
  const mc = 'R4,GPT 1.7B,,24,2048,16,,,131072,,,4096,192,48,H100-SXM-80GB,BF16,1,1,48,,,,,,,Megatron-Core r0.8.0,408.8,Megatron-Core num_floating_point_operations (2024 version: full non-causal attention term),,README';
  const { cases: more } = validationCases(parseCsv([header, ...rows, mc].join('\n') + '\n'));
  assert.equal(more.find((c) => c.id === 'R4')!.gradReduceFp32, true);
  assert.equal(more.find((c) => c.id === 'R3')!.gradReduceFp32, false);
});
