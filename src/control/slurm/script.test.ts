import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LaunchSpec } from '../executor.ts';
import { renderSbatchScript, shellQuote } from './script.ts';

const base: LaunchSpec = {
  jobId: 'job-7', attempt: 2, name: 'train', command: ['python3', 'train.py', '--msg', "it's 'quoted' $HOME"], workdir: '/w', env: { LR: '3e-4' },
  nodes: 2, ranksPerNode: 8, gpusPerNode: 8, checkpointDir: '/w/ckpt', nodeNames: ['hall-a-00003', 'hall-a-00004'], logDir: '/w/logs/a2',
};
const directives = (s: string) => s.split('\n').filter((l) => l.startsWith('#SBATCH ')).map((l) => l.slice('#SBATCH '.length));

test('the gang shape becomes sbatch directives, with the scheduler\'s nodes as --nodelist', () => {
  const d = directives(renderSbatchScript(base));
  for (const want of ['--nodes=2', '--ntasks-per-node=8', '--gres=gpu:8', '--nodelist=hall-a-[00003-00004]', '--no-requeue', '--chdir=/w', '--comment=gf:job-7:2']) assert.ok(d.includes(want), `${want} in ${d.join(' ')}`);
});

test('Slurm placement and CPU-only jobs leave out --nodelist and --gres; extra options are appended', () => {
  const d = directives(renderSbatchScript({ ...base, gpusPerNode: 0 }, { slurmPlaces: true, partition: 'oci', extraSbatchArgs: ['--qos=high'] }));
  assert.ok(!d.some((x) => x.startsWith('--nodelist') || x.startsWith('--gres')));
  assert.ok(d.includes('--partition=oci') && d.includes('--qos=high'));
});

test('env, GF_ variables and the command are quoted so the shell passes them through unchanged', () => {
  const s = renderSbatchScript(base);
  assert.match(s, /^export LR='3e-4'$/m);
  assert.match(s, /^export GF_CHECKPOINT_DIR='\/w\/ckpt'$/m);
  assert.match(s, /^export WORLD_SIZE='16'$/m);
  assert.ok(s.includes(shellQuote("it's 'quoted' $HOME")));
  assert.equal(shellQuote("a'b"), `'a'\\''b'`);
});
