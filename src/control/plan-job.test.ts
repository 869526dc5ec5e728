// Planned jobs: model + tokens in, the plane plans on its own fleet, sizes the gang, exports the layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MODELS } from '../catalog/models.ts';
import { FLEET_PRESETS } from '../fleet/presets.ts';
import { buildTopology } from '../fleet/topology.ts';
import { fleetHardware } from '../plan/fleet-hardware.ts';
import { planTrain } from '../plan/train-plan.ts';
import { parseStack } from '../plan/stack.ts';
import type { LaunchSpec } from './executor.ts';
import type { JobPlan } from './job-plan.ts';
import { planJob } from './plan-job.ts';
import { parseJobSpec } from './job-spec.ts';
import { startControlPlane } from './server.ts';
import { SimCluster, SimExecutor } from './sim/executor.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fleet = FLEET_PRESETS['h100-16k']!;

/** The sim executor, recording what each launch was handed. */
class RecordingSim extends SimExecutor {
  readonly launches: LaunchSpec[] = [];
  override launch(spec: LaunchSpec): Promise<string> { this.launches.push(spec); return super.launch(spec); }
}

async function withPlane(fn: (call: (m: string, p: string, b?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>, ex: RecordingSim) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gf-planjob-'));
  const ex = new RecordingSim(new SimCluster({ speed: 1000, failuresPer1000NodeDays: 0 }));
  const cp = await startControlPlane({ dataDir: dir, port: 0, tickMs: 100, executor: ex, topology: buildTopology(fleet), fleet });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${cp.newAdminToken!}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  try { await fn(call, ex); } finally { await cp.close(); rmSync(dir, { recursive: true, force: true }); }
}

test('a planned job on the sim executor gets its gang size, layout environment and checkpoint interval from its plan', async () => {
  await withPlane(async (call, ex) => {
    const r = await call('POST', '/v1/jobs', { name: 'llama-8b-run', model: 'llama3-8b', tokens: '2T', gpus: 1024, command: ['python3', 'train.py'], env: { GF_SIM_SECONDS: '60' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = (r.body['job'] as { id: string }).id;
    for (let i = 0; i < 200 && ex.launches.length === 0; i++) await sleep(25);
    const l = ex.launches[0]!;
    // What the planner itself says for the same model, tokens, GPUs and fleet.
    const want = planTrain({ model: MODELS['llama3-8b']!, hardware: fleetHardware(fleet, 1024), precision: 'bf16', seq: 8192, tokens: 2e12 }, { top: 1 });
    assert.equal(l.nodes * l.gpusPerNode, want.gpusUsed);
    assert.equal(l.gpusPerNode, 8);
    assert.equal(l.ranksPerNode, 8);
    assert.equal(l.env['GF_TP'], String(want.layout.tp));
    assert.equal(l.env['GF_PP'], String(want.layout.pp));
    assert.equal(l.env['GF_DP'], String(want.layout.dp));
    assert.equal(l.env['GF_GLOBAL_BATCH'], String(want.layout.globalBatchSeqs));
    assert.equal(l.env['GF_CHECKPOINT_INTERVAL_SECONDS'], String(Math.round(want.goodput.checkpointIntervalMinutes * 60)));
    assert.equal(l.env['GF_SIM_SECONDS'], '60', 'the user\'s own environment is kept');
    const d = await call('GET', `/v1/jobs/${id}`);
    const plan = (d.body['job'] as { plan: Record<string, unknown> }).plan;
    assert.equal(plan['gpus'], want.gpusUsed);
    assert.equal(plan['stepSeconds'], want.stepSeconds);
    assert.equal(plan['tokensPerSecondPerGpu'], want.tokensPerSecondPerGpu);
    assert.equal((plan['layout'] as { text: string }).text, want.layout.text);
    assert.equal(plan['checkpointIntervalSeconds'], want.goodput.checkpointIntervalMinutes * 60);
  });
});

test('bad planned jobs: 4xx naming the field and what would work, and nothing is stored', async () => {
  await withPlane(async (call) => {
    const base = { name: 'x', command: ['true'] };
    const cases: [string, Record<string, unknown>, number, RegExp][] = [
      ['model with nodes', { model: 'llama3-8b', nodes: 4 }, 400, /nodes: got 4; expected no nodes together with model/],
      ['tokens without model', { tokens: '2T', nodes: 1 }, 400, /tokens: .*model too/],
      ['unknown model', { model: 'gpt-9' }, 404, /unknown model "gpt-9"; known: .*llama3-8b/],
      ["unknown stack", { model: "llama3-8b", stack: "nope" }, 404, /unknown stack "nope"; known: megatron, fsdp, fsdp-compile, deepspeed, jax/],
      ['bad tokens', { model: 'llama3-8b', tokens: 'lots' }, 400, /tokens/],
      ['more GPUs than the fleet', { model: 'llama3-8b', gpus: 20_000 }, 422, /gpus: 20000 requested but fleet "h100-16k" has 16384/],
      ['a deadline nothing meets', { model: 'grok-1', tokens: '15T', deadline_days: 3 }, 422, /deadline_days: 3 cannot be met[^]*hint: a deadline of at least \d+ days.*about \d+ GPUs/],
      ['a plan that cannot fit', { model: 'llama3-405b', gpus: 8 }, 422, /no layout of Llama 3.1 405B fits 8[^]*hint/],
    ];
    for (const [name, over, status, re] of cases) {
      const r = await call('POST', '/v1/jobs', { ...base, ...over });
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
      assert.match((r.body['error'] as { message: string }).message, re, name);
    }
    assert.deepEqual((await call('GET', '/v1/jobs')).body['jobs'], []);
  });
});

test('deadline_days: the smallest power-of-two size that meets the deadline (half of it would not)', () => {
  const spec = parseJobSpec({ name: 'g', model: 'llama3-70b', tokens: '2T', deadline_days: 20, command: ['x'] });
  const p = planJob(spec, { topology: buildTopology(fleet), fleet });
  assert.ok(p.days <= 20, `${p.days} days`);
  const half = planTrain({ model: MODELS['llama3-70b']!, hardware: fleetHardware(fleet, p.gpus / 2), precision: 'bf16', seq: 8192, tokens: 2e12 }, { top: 1 });
  assert.ok(half.daysToTrain > 20, `half the GPUs also meet it (${half.daysToTrain} days)`);
});

test('a plane whose cluster has no GPUs refuses a planned job and says what would work', () => {
  const spec = parseJobSpec({ name: 'g', model: 'llama3-8b', command: ['x'] });
  const cpu = { leafCount: 1, spineCount: 1, nodes: [{ index: 0, name: 'here', gpuType: 'cpu' as const, gpus: 0, leaf: 0, spine: 0, pool: 'local', rented: false }] };
  assert.throws(() => planJob(spec, { topology: cpu }), /no GPUs[^]*hint: give nodes x gpus_per_node.*--dry-run FILE --fleet F/);
});

test('plan versus actual: a planned job reports progress to GF_PROGRESS_FILE; the API measures it and a job 50% slower than planned gets a slow event', async () => {
  await withPlane(async (call, ex) => {
    const r = await call('POST', '/v1/jobs', { name: 'slow', model: 'llama3-8b', tokens: '2T', gpus: 64, command: ['x'], env: { GF_SIM_SECONDS: 'inf' } });
    const id = (r.body['job'] as { id: string; plan: JobPlan }).id;
    const plan = (r.body['job'] as { plan: JobPlan }).plan;
    for (let i = 0; i < 200 && ex.launches.length === 0; i++) await sleep(25);
    const file = ex.launches[0]!.env['GF_PROGRESS_FILE']!;
    assert.ok(file.endsWith(`/jobs/${id}/progress.log`), file);
    // Rank 0's lines: each step takes 1.5x the planned step time with the planned batch.
    const t0 = Date.now() / 1000 + 1;
    mkdirSync(dirname(file), { recursive: true });
    const batch = plan.layout.globalBatchTokens;
    writeFileSync(file, Array.from({ length: 5 }, (_, i) => `step=${i + 1} tokens=${(i + 1) * batch} time=${(t0 + (i + 1) * 1.5 * plan.stepSeconds).toFixed(3)}\n`).join(''));
    const d = await call('GET', `/v1/jobs/${id}`);
    const actual = d.body['actual'] as { stepSeconds: number; tokensPerSecondPerGpu: number; slowdown: number; slow: boolean; mfu: number };
    assert.ok(Math.abs(actual.stepSeconds / plan.stepSeconds - 1.5) < 1e-3, JSON.stringify(actual));
    assert.ok(Math.abs(actual.slowdown - 1.5) < 1e-2, `slowdown ${actual.slowdown}`);
    assert.equal(actual.slow, true);
    let events: { type: string; message: string }[] = [];
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'slow'); i++) { await sleep(50); events = (await call('GET', `/v1/jobs/${id}`)).body['events'] as typeof events; }
    const slow = events.filter((e) => e.type === 'slow');
    assert.equal(slow.length, 1, JSON.stringify(events));
    assert.match(slow[0]!.message, /attempt 1 runs 50% slower than planned.*straggler/);
  });
});

test('neither gpus nor deadline_days: the fleet\'s free GPUs (nodes no running job holds), else the whole fleet', () => {
  const spec = parseJobSpec({ name: 'g', model: 'llama3-8b', tokens: '1T', command: ['x'] });
  const topology = buildTopology(fleet);
  const busy = new Set(Array.from({ length: 1024 }, (_, i) => i));
  const p = planJob(spec, { topology, fleet, busyNodes: busy });
  assert.ok(p.gpus <= (2048 - 1024) * 8 && p.gpus > 1024 * 8 * 0.9, `${p.gpus}`);
  assert.match(p.sizedBy, /8192 free GPUs/);
  assert.match(planJob(spec, { topology, fleet }).sizedBy, /whole fleet/);
});

test('a planned job\'s stack is the planner\'s: stack fsdp plans as plan train --stack fsdp does', () => {
  const spec = parseJobSpec({ name: 'fsdp-run', model: 'llama3-8b', tokens: '2T', gpus: 1024, stack: 'fsdp,attention=fa2', command: ['python3', 'train.py'] });
  const got = planJob(spec, { topology: buildTopology(fleet), fleet });
  const want = planTrain({ model: MODELS['llama3-8b']!, hardware: fleetHardware(fleet, 1024), precision: 'bf16', seq: 8192, tokens: 2e12, stack: parseStack('fsdp,attention=fa2') }, { top: 1 });
  const megatron = planTrain({ model: MODELS['llama3-8b']!, hardware: fleetHardware(fleet, 1024), precision: 'bf16', seq: 8192, tokens: 2e12 }, { top: 1 });
  assert.equal(got.stack, 'fsdp,attention=fa2');
  assert.equal(got.stepSeconds, want.stepSeconds);
  assert.notEqual(want.stepSeconds, megatron.stepSeconds, 'the stack changes the plan');
});
