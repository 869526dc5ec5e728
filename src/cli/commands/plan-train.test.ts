import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const launcher = resolve(import.meta.dirname, '../../../gigafactory');
const run = (...args: string[]) => spawnSync(launcher, ['plan', 'train', ...args], { encoding: 'utf8', timeout: 60_000 });

test('plan train --json prints the named top-level keys for the best layout and the runners-up', () => {
  const r = run('--model', 'llama3-70b', '--gpu', 'h100', '--gpus', '512', '--tokens', '2T', '--top', '3', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const k of ['tokensPerSecondPerGpu', 'stepSeconds', 'tflopsPerGpu', 'mfu', 'flopsConvention', 'layout', 'memoryBytesPerGpu', 'daysToTrain', 'gpuHours', 'energyMWh', 'costOwnedUsd', 'costRentedUsd', 'alternatives']) {
    assert.ok(k in j, `missing ${k}`);
  }
  assert.equal(j.alternatives.length, 2);
  assert.ok(j.mfu > 0 && j.mfu < 1);
  assert.ok(j.costRentedUsd > j.costOwnedUsd, 'renting at list price costs more than owning');
  assert.ok(j.goodput.checkpointIntervalMinutes > 0);
});

test('plan train --stack: the JSON and the text state the stack; --explain lists its parameters with sources', () => {
  const j = JSON.parse(run('--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '64', '--top', '1', '--stack', 'fsdp,attention=fa2', '--json').stdout);
  assert.equal(j.stack.text, 'fsdp,attention=fa2');
  assert.deepEqual(j.stack.parameters.find((p: { key: string }) => p.key === 'attention'), { key: 'attention', value: 'fa2', source: '--stack attention=fa2' });
  const def = JSON.parse(run('--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '64', '--top', '1', '--json').stdout);
  assert.equal(def.stack.name, 'megatron');
  assert.ok(def.tokensPerSecondPerGpu > j.tokensPerSecondPerGpu, 'the tuned megatron stack is faster than eager fsdp with FlashAttention-2');
  const r = run('--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '64', '--top', '1', '--stack', 'fsdp', '--explain');
  assert.match(r.stdout, /; stack fsdp; mode benchmark\n/);
  assert.match(r.stdout, /optimizer = fused: torchtitan optimizer.implementation/);
});

test('a fully stated --layout over the memory model is evaluated with a warning naming the limit; a partial one is still refused', () => {
  const full = run('--model', 'llama3-70b', '--gpu', 'h100', '--gpus', '64', '--layout', 'tp=1,pp=1,dp=64,cp=1,mbs=4,zero=1,recompute=none', '--top', '1', '--json');
  assert.equal(full.status, 0, full.stderr);
  const j = JSON.parse(full.stdout);
  assert.equal(j.layout.text, 'tp=1,pp=1,vpp=1,dp=64,cp=1,ep=1,mbs=4,zero=1,sp=off,recompute=none');
  assert.match(j.warnings[0], /needs [0-9.]+ GB per GPU by the memory model .* over the 80.1 GB usable: evaluated anyway/);
  assert.match(j.rankedBy, /ranked by training tokens\/s/);
  const partial = run('--model', 'llama3-70b', '--gpu', 'h100', '--gpus', '64', '--layout', 'tp=1,pp=1,dp=64,cp=1,mbs=4,zero=1', '--top', '1');
  assert.equal(partial.status, 2, 'keys left to the search: only layouts that fit are planned');
  assert.match(partial.stderr, /no layout of Llama 3 70B fits 64 x/);
});

test('plan train --gpus FROM..TO sweeps the powers of two: best layout, days and scaling at each size', () => {
  const r = run('--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '100..1000', '--tokens', '1T', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.sweep.map((x: { gpus: number }) => x.gpus), [128, 256, 512]);
  for (const x of j.sweep) assert.ok(x.layout && x.days > 0, JSON.stringify(x));
  assert.ok(j.sweep[2].days < j.sweep[0].days, 'more GPUs, fewer days here');
  assert.ok(j.sweep[1].scalingEfficiency > 0 && j.sweep[1].scalingEfficiency <= 1.05);
  const text = run('--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '128..256', '--tokens', '1T');
  assert.match(text.stdout, /best layout per cluster size/);
  const bad = run('--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '300..500');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--gpus: got "300..500"; expected FROM..TO with a power of two between them/);
});

test('plan train on a fleet preset, with a fixed layout and --explain', () => {
  const r = run('--model', 'llama3-405b', '--fleet', 'h100-16k', '--tokens', '15T', '--layout', 'tp=8,pp=16,cp=1', '--top', '1', '--explain');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /tp=8,pp=16,/);
  assert.match(r.stdout, /rejected layouts, by reason/);
  assert.match(r.stdout, /MFU convention: 6 x active parameters/);
});

const errors: { name: string; args: string[]; want: RegExp }[] = [
  { name: 'unknown model lists the known names', args: ['--model', 'gpt-9', '--gpu', 'h100', '--gpus', '8'], want: /unknown model "gpt-9"; known: .*llama3-405b.*grok-1/ },
  { name: 'unknown fleet lists the presets', args: ['--model', 'grok-1', '--fleet', 'nowhere'], want: /unknown fleet preset "nowhere"; known: .*colossus-100k/ },
  { name: 'tokens not a number', args: ['--model', 'grok-1', '--gpu', 'h100', '--gpus', '64', '--tokens', 'lots'], want: /--tokens: got "lots"; expected a positive number/ },
  { name: 'nothing fits memory', args: ['--model', 'llama3-405b', '--gpu', 'h100', '--gpus', '8'], want: /no layout of Llama 3.1 405B fits 8 x .*hint: .*--gpus/s },
  { name: 'layout product not the GPU count', args: ['--model', 'llama3-70b', '--gpu', 'h100', '--gpus', '64', '--layout', 'tp=8,pp=4,cp=1,dp=4'], want: /tp x pp x cp x dp = 64.*uses 128/ },
  { name: 'unknown stack lists the known ones', args: ['--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '8', '--stack', 'pytorch'], want: /unknown stack "pytorch"; known: megatron, fsdp, fsdp-compile, deepspeed, jax/ },
  { name: 'stack key out of range names the range', args: ['--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '8', '--stack', 'fsdp,host-overhead=-1'], want: /--stack host-overhead: got "-1"; expected seconds per micro-batch in the range 0 to 1/ },
  { name: 'tp-overlap under fsdp says why', args: ['--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '8', '--stack', 'fsdp,tp-overlap=on'], want: /off under fsdp: eager PyTorch has no TP communication overlap/ },
  { name: 'unknown mode', args: ['--model', 'llama3-8b', '--gpu', 'h100', '--gpus', '8', '--mode', 'prod'], want: /--mode: got "prod"; expected benchmark or production/ },
  { name: 'fp8 on A100', args: ['--model', 'llama3-8b', '--gpu', 'a100', '--gpus', '8', '--precision', 'fp8'], want: /no FP8 tensor cores/ },
];
for (const c of errors) {
  test(`plan train error: ${c.name} (exit 2, no stack trace)`, () => {
    const r = run(...c.args);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, c.want);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('plan train --model FILE.yaml: a custom architecture; a bad file names the key and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-model-'));
  try {
    const good = join(dir, 'm.yaml');
    writeFileSync(good, 'name: small\nlayers: 8\nhidden: 1024\nheads: 8\nffn: 4096\nffn_kind: plain\nvocab: 32000\n');
    const ok = run('--model', good, '--gpu', 'h100', '--gpus', '8', '--tokens', '1B', '--json', '--top', '1');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).model, 'small');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: small\nlayers: eight\nhidden: 1024\nheads: 8\nffn: 4096\nffn_kind: plain\nvocab: 32000\n');
    const r = run('--model', bad, '--gpu', 'h100', '--gpus', '8');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.yaml:2: layers: got "eight"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
