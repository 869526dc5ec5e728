// The one YAML loader: limits on size, aliases and nesting; syntax errors with lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from './errors.ts';
import { loadYaml, MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_DEPTH } from './yaml.ts';

const refused = (text: string, re: RegExp) => assert.throws(() => loadYaml(text, 'f.yaml'), (e: unknown) => e instanceof InputError && re.test(e.message));

test('yaml: ordinary files load, with a few aliases expanded and lines known', () => {
  const y = loadYaml('base: &b {gpus: 8}\nnodes:\n  - *b\n  - *b\n', 'f.yaml');
  assert.deepEqual(y.value, { base: { gpus: 8 }, nodes: [{ gpus: 8 }, { gpus: 8 }] });
  assert.equal(y.lineOf(['nodes']), 3);
});

test('yaml: more aliases than the limit are refused, naming the rule and the line of the first', () => {
  const text = `a: &a 1\nlist: [${Array(MAX_YAML_ALIASES + 1).fill('*a').join(', ')}]\n`;
  refused(text, /^f\.yaml:2: \(yaml aliases\): got "more than 100 aliases"; expected at most 100 aliases/);
  loadYaml(`a: &a 1\nlist: [${Array(MAX_YAML_ALIASES).fill('*a').join(', ')}]\n`, 'f.yaml');
});

test('yaml: size, nesting, duplicate keys and syntax are refused with the limit or the line', () => {
  refused(`x: "${'a'.repeat(MAX_YAML_BYTES)}"\n`, /\(file size\): got "\d+ bytes"; expected a YAML file of at most 1048576 bytes/);
  refused(`x: ${'['.repeat(MAX_YAML_DEPTH + 1)}${']'.repeat(MAX_YAML_DEPTH + 1)}\n`, /\(yaml nesting\): got "65 levels"/);
  loadYaml(`x: ${'['.repeat(MAX_YAML_DEPTH)}${']'.repeat(MAX_YAML_DEPTH)}\n`, 'f.yaml');
  // Brackets in quotes, comments and block scalars do not count as nesting.
  loadYaml(`x: "${'['.repeat(100)}"\n# ${'{'.repeat(100)}\n`, 'f.yaml');
  refused('a: 1\na: 2\n', /^f\.yaml:2: \(yaml syntax\).*unique/);
  refused('a: [1\n', /^f\.yaml:\d+: \(yaml syntax\)/);
});
