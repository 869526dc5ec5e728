// The command-group table that lets a call load only the code of the command it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { COMMAND_GROUPS, buildProgram } from './program.ts';

test('each group is listed under exactly the top-level commands it registers', async () => {
  for (const g of COMMAND_GROUPS) {
    const program = new Command('gigafactory');
    (await g.load()).register(program);
    assert.deepEqual(program.commands.map((c) => c.name()).sort(), [...g.commands].sort());
  }
  const all = COMMAND_GROUPS.flatMap((g) => g.commands);
  assert.equal(new Set(all).size, all.length, 'a command listed in two groups');
});

test('a command line registers only its own group; help and unknown words get every command', async () => {
  const names = async (argv?: string[]) => (await buildProgram(argv)).commands.map((c) => c.name());
  assert.deepEqual(await names(['jobs', '--json']), ['up', 'submit', 'jobs', 'job', 'logs', 'cancel', 'demo']);
  assert.deepEqual(await names(['plan', 'train']), ['plan']);
  assert.deepEqual(await names(['--version']), []);
  const every = COMMAND_GROUPS.flatMap((g) => g.commands);
  assert.deepEqual(await names(['--help']), every);
  assert.deepEqual(await names(['help', 'plan']), every);
  assert.deepEqual(await names(['bogus']), every);
  assert.deepEqual(await names(), every);
});
