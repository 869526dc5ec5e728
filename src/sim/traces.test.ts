import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { InputError } from '../lib/errors.ts';
import { parseTrace } from './traces.ts';

// ../shared beside the repository root, wherever the checkout is.
const DATA = fileURLToPath(new URL('../../../shared/data/traces', import.meta.url));

test('trace adapters: the published files parse (philly pollux, philly rfold, acme kalos)', { skip: !existsSync(DATA) }, () => {
  const cases: { file: string; minJobs: number; adapter: string; maxGpus: number }[] = [
    { file: `${DATA}/philly/pollux_philly_jobs.csv`, minJobs: 80_000, adapter: 'philly', maxGpus: 128 },
    { file: `${DATA}/philly/rfold_philly_trace.csv.gz`, minJobs: 110_000, adapter: 'philly-rfold', maxGpus: 128 },
    { file: `${DATA}/acme/kalos_converted_hyunnnchoi.csv`, minJobs: 300, adapter: 'acme-kalos', maxGpus: 1024 },
  ];
  for (const c of cases) {
    const buf = readFileSync(c.file);
    const text = (c.file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
    const w = parseTrace(text, c.file, 'skip', 8);
    assert.ok(w.jobs.length >= c.minJobs, `${c.file}: ${w.jobs.length} jobs`);
    assert.ok(w.name.startsWith(c.adapter + ':'));
    assert.equal(Math.min(...w.jobs.map((j) => j.submitSeconds)), 0, 'arrivals relative to the first job');
    assert.ok(w.jobs.every((j) => j.workSeconds > 0 && j.nodes >= 1 && j.gpusPerNode <= 8 && j.nodes * j.gpusPerNode <= c.maxGpus));
  }
});

const HEADER = 'timestamp,duration,num_gpus,gpu_time,cluster';

test('trace adapters: a malformed row is reported as file:line with the reason, skipped or fatal', () => {
  const text = [HEADER, '2017-10-09 07:01:55,66.0,1,66.0,a', '2017-10-09 07:02:00,abc,1,1,a', '2017-10-09 07:03:00,60,0,0,a', 'yesterday,60,1,60,a', '2017-10-09 07:04:00,60'].join('\n');
  const w = parseTrace(text, 'jobs.csv', 'skip', 8);
  assert.equal(w.jobs.length, 1);
  assert.deepEqual(w.rejected.map((r) => r.id), ['jobs.csv:3', 'jobs.csv:4', 'jobs.csv:5', 'jobs.csv:6']);
  assert.match(w.rejected[0]!.reason, /duration/);
  assert.match(w.rejected[1]!.reason, /GPUs 0/);
  assert.match(w.rejected[2]!.reason, /timestamp "yesterday"/);
  assert.match(w.rejected[3]!.reason, /2 columns/);
  assert.throws(() => parseTrace(text, 'jobs.csv', 'fail', 8), (e: unknown) => e instanceof InputError && /^jobs\.csv:3: /.test(e.message) && /--bad-rows skip/.test(e.message));
});

test('trace adapters: an unknown header lists the formats; GPU counts map to whole nodes', () => {
  assert.throws(() => parseTrace('a,b,c\n1,2,3', 'x.csv', 'skip', 8), (e: unknown) => e instanceof InputError && /x\.csv:1: header/.test(e.message) && /Philly/.test(e.message));
  const w = parseTrace([HEADER, '2017-10-09 07:00:00,60,1,60,a', '2017-10-09 07:00:10,60,12,720,b', '2017-10-09 08:00:00,60,16,960,b'].join('\n'), 't.csv', 'fail', 8);
  assert.deepEqual(w.jobs.map((j) => [j.nodes, j.gpusPerNode, j.submitSeconds]), [[1, 1, 0], [2, 6, 10], [2, 8, 3600]]);
});
