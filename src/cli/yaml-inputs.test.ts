/**
 * Every command that reads a YAML file gets the same hostile files: an alias bomb, a file
 * over the size limit, wrong types, unknown keys, nesting past the limit. Each must exit 2
 * with the field named and no stack trace (in-process through main(), as the launcher runs
 * it: an error that is not a user error would throw out of main and fail the test; one
 * subprocess run confirms the launcher prints no stack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MAX_YAML_BYTES } from '../lib/yaml.ts';
import { main } from './program.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** The same bad files for every command; `field` is what each message must name. */
const BAD_FILES: { name: string; text: string; field: RegExp }[] = [
  {
    name: 'alias bomb',
    text: ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n') + '\n',
    field: /\(yaml aliases\)/,
  },
  { name: 'huge file', text: `name: x\n# ${'pad '.repeat(MAX_YAML_BYTES / 4)}\n`, field: /(FILE|FLEET|--model|--workload|GATE).*bytes\)"; expected a .*YAML file of at most 1048576 bytes/ },
  { name: 'deep nesting', text: `name: ${'['.repeat(200)}${']'.repeat(200)}\n`, field: /\(yaml nesting\): got "200 levels"; expected mappings and lists nested at most 64 levels deep/ },
  { name: 'wrong types', text: 'name: [1, 2]\ncommand: 7\nnodes: many\nlayers: many\njobs: 3\nheld_out: [1]\n', field: /(name|command|nodes|layers|jobs|held_out|model|hidden)\b.*: got/ },
  { name: 'unknown keys', text: 'bogus_key: 1\n', field: /bogus_key/ },
];

/** Every YAML-reading command; FILE is replaced with the bad file. */
const COMMANDS: string[][] = [
  ['submit', 'FILE', '--data-dir', '/nonexistent-gf-data'],
  ['plan', 'train', '--model', 'FILE'],
  ['plan', 'serve', '--model', 'FILE'],
  ['sim', '--workload', 'FILE', '--days', '1', '--fleet', 'h100-16k'],
  ['fleet', 'validate', 'FILE'],
  ['fleet', 'show', 'FILE'],
  ['serve', 'gate', 'FILE', '--checkpoint', '/nonexistent-ckpt', '--local'],
];

async function runCli(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  const out = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const code = await main(argv);
    return { code, stderr };
  } finally {
    process.stderr.write = write;
    process.stdout.write = out;
    process.exitCode = undefined;
  }
}

test('every YAML-reading command: the same bad files -> exit 2, the field named, no stack trace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-yaml-bad-'));
  try {
    for (const bad of BAD_FILES) {
      const file = join(dir, `${bad.name.replace(/ /g, '-')}.yaml`);
      writeFileSync(file, bad.text);
      for (const cmd of COMMANDS) {
        const argv = cmd.map((a) => (a === 'FILE' ? file : a));
        await t.test(`${bad.name}: ${cmd.slice(0, 2).join(' ')}`, async () => {
          const r = await runCli(argv);
          assert.equal(r.code, 2, r.stderr);
          assert.match(r.stderr, /^error: /);
          assert.match(r.stderr, bad.field);
          assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the launcher itself: an alias bomb given to submit prints one error, exit 2, no stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-yaml-bomb-'));
  try {
    const file = join(dir, 'bomb.yaml');
    writeFileSync(file, BAD_FILES[0]!.text);
    const r = spawnSync(join(ROOT, 'gigafactory'), ['submit', file, '--data-dir', join(dir, 'none')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^error: .*bomb\.yaml: \(yaml aliases\): got "Excessive alias count.*"; expected aliases that expand to at most 1000 nodes/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
