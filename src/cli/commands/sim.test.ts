import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (args: string[]) => spawnSync('./gigafactory', ['sim', ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_NO_WARNINGS: '1' } });

test('gigafactory sim: the Llama 3 validation run prints a JSON report with the documented keys', () => {
  const r = run(['--fleet', 'h100-16k', '--workload', 'pretrain:16384', '--days', '54', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  for (const k of ['days', 'gpus', 'events', 'wallSeconds', 'utilization.allocated', 'utilization.productive', 'interruptions.unexpected',
    'interruptions.planned', 'interruptions.byCategory', 'jobs', 'rented.gpuHours', 'rented.costUsd']) {
    assert.notEqual(k.split('.').reduce((o, p) => o?.[p], rep), undefined, k);
  }
  assert.equal(rep.gpus, 16_384);
  assert.ok(rep.interruptions.unexpected >= 335 && rep.interruptions.unexpected <= 503);
  const job = rep.jobs[0];
  for (const k of ['id', 'gpus', 'ettr', 'restarts', 'queueSeconds', 'completionSeconds']) assert.ok(k in job, k);
  assert.ok(job.ettr > 0.9);
});

test('gigafactory sim: bad input exits 2 with the field, the value and the fix, never a stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
  try {
    const trace = join(dir, 'trace.csv');
    writeFileSync(trace, 'timestamp,duration,num_gpus,gpu_time,cluster\n2017-10-09 07:01:55,66.0,1,66.0,a\n2017-10-09 07:01:56,-5,1,1,a\n');
    const cases: { name: string; args: string[]; want: RegExp }[] = [
      { name: 'unknown policy', args: ['--policy', 'lottery', '--days', '1'], want: /unknown scheduler policy "lottery"; known: fifo, priority-preempt, fair-share, backfill, default/ },
      { name: 'bad days', args: ['--days', 'abc'], want: /--days: got "abc"; expected a number/ },
      { name: 'job larger than the fleet', args: ['--fleet', 'h100-16k', '--workload', 'pretrain:32768', '--days', '1'], want: /needs 32768 GPUs; the fleet has 16384/ },
      { name: 'malformed trace row, fatal', args: ['--fleet', 'h100-16k', '--workload', trace, '--days', '1', '--bad-rows', 'fail'], want: /trace\.csv:3: row: .*duration -5/ },
      { name: 'unknown workload', args: ['--workload', 'llama'], want: /--workload: got "llama"; expected grok/ },
      // Output paths are refused before the simulation runs (30 days would take a while).
      { name: 'unwritable --json', args: ['--days', '30', '--json', join(dir, 'no', 'r.json')], want: /--json: got ".*no\/r\.json"; expected a writable file path \(ENOENT for its folder/ },
      { name: '--html a directory', args: ['--days', '30', '--html', dir], want: /--html: got ".*"; expected a writable file path \(it is a directory\)/ },
    ];
    for (const c of cases) {
      const r = run(c.args);
      assert.equal(r.status, 2, `${c.name}: ${r.stderr}`);
      assert.match(r.stderr, c.want, c.name);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${c.name}: no stack trace`);
    }
    const skipped = run(['--fleet', 'h100-16k', '--workload', trace, '--days', '1']);
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stdout, /rejected: 1 jobs\n\s+.*trace\.csv:3: duration -5/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gigafactory sim: comma lists compare policies and recovery modes on the same workload', () => {
  const r = run(['--fleet', 'h100-16k', '--workload', 'pretrain:16384', '--days', '10', '--policy', 'fifo,default', '--recovery', 'gang,replica', '--json', '-']);
  assert.equal(r.status, 0, r.stderr);
  const reps = JSON.parse(r.stdout) as { run: string; interruptions: { unexpected: number }; training: { ettr: number }[] }[];
  assert.deepEqual(reps.map((x) => x.run), ['fifo / gang', 'fifo / replica', 'default / gang', 'default / replica']);
  // One job: the policy changes nothing, so the same seed gives the same failures.
  assert.equal(reps[0]!.interruptions.unexpected, reps[2]!.interruptions.unexpected);
  assert.ok(reps[1]!.training[0]!.ettr > reps[0]!.training[0]!.ettr, 'replica recovery keeps more');
  const text = run(['--fleet', 'h100-16k', '--workload', 'pretrain:16384', '--days', '5', '--checkpoint-minutes', '30,auto']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^sim compare: pretrain:16384/);
  assert.match(text.stdout, /\nckpt 30 +\d/);
  assert.match(text.stdout, /\nckpt auto +\d/);
});
