// `npm run mutate -- PATH [--concurrency N] [--tests A.test.ts,B.test.ts] [--isolate] [--survivors]`:
// mutation-tests one pure module (or every module in a folder) with StrykerJS 9 over the tests
// next to it (the folder's *.test.ts, else its parent's; --tests names others). Each mutant runs
// the tests in one `node --import tsx` process (scripts/mutate-tests.mjs); --isolate runs
// `node --import tsx --test` instead, one process per test file (slower, about twice as long).
// Reports: reports/mutation/<name>.{html,json}. --survivors re-tests only the last report's
// survivors against the current tests (scripts/mutate-survivors.mjs), without Stryker.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stryker } from '@stryker-mutator/core';
import base from '../stryker.config.mjs';
import { recheckSurvivors } from './mutate-survivors.mjs';

const args = process.argv.slice(2);
const usage = 'usage: npm run mutate -- PATH [--concurrency N] [--tests A.test.ts,B.test.ts] [--isolate] [--survivors]';
const flag = (name) => { const i = args.indexOf(name); if (i < 0) return undefined; const v = args[i + 1]; args.splice(i, 2); return v; };
const concurrency = flag('--concurrency');
const testsFlag = flag('--tests');
const isolateAt = args.indexOf('--isolate');
const isolate = isolateAt >= 0;
if (isolate) args.splice(isolateAt, 1);
const survivorsAt = args.indexOf('--survivors');
const survivorsOnly = survivorsAt >= 0;
if (survivorsOnly) args.splice(survivorsAt, 1);
const target = args[0];
if (target === undefined || !existsSync(target)) {
  process.stderr.write(`${target === undefined ? 'PATH missing' : `no such file or folder: ${target}`}\n${usage}\n`);
  process.exit(2);
}
if (concurrency !== undefined && !/^[1-9][0-9]?$/.test(concurrency)) {
  process.stderr.write(`--concurrency: "${concurrency}" is not a number from 1 to 99\n${usage}\n`);
  process.exit(2);
}
const isDir = statSync(target).isDirectory();
const testsIn = (dir) => readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => join(dir, f));
let tests = testsFlag !== undefined ? testsFlag.split(',') : testsIn(isDir ? target : dirname(target));
if (tests.length === 0 && !isDir) tests = testsIn(dirname(dirname(target)));
if (tests.length === 0) {
  process.stderr.write(`no *.test.ts next to ${target} or in its parent folder; name them with --tests\n`);
  process.exit(2);
}
const mutate = isDir ? [`${relative('.', target)}/**/*.ts`, `!${relative('.', target)}/**/*.test.ts`, `!${relative('.', target)}/**/test-*.ts`] : [relative('.', target)];
const name = relative('.', target).replace(/[/\\]/g, '_').replace(/\.ts$/, '');
// Stryker runs the command inside its sandbox copy of src/, so the in-process runner is named by
// its absolute path here (scripts/ is not copied).
const inProcess = fileURLToPath(new URL('./mutate-tests.mjs', import.meta.url));
const testCommand = isolate ? 'node --import tsx --test --test-reporter=dot' : `node --import tsx --test-reporter=dot ${JSON.stringify(inProcess)}`;
if (survivorsOnly) process.exit(recheckSurvivors(`reports/mutation/${name}.json`, testCommand, tests.map((t) => relative('.', t))));
const stryker = new Stryker({
  ...base,
  mutate,
  commandRunner: { command: `${testCommand} ${tests.map((t) => relative('.', t)).join(' ')}` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  ...(concurrency !== undefined ? { concurrency: Number(concurrency) } : {}),
});
const results = await stryker.runMutationTest();
const killed = results.filter((r) => r.status === 'Killed' || r.status === 'Timeout').length;
const valid = results.filter((r) => r.status !== 'CompileError' && r.status !== 'RuntimeError' && r.status !== 'Ignored').length;
process.stdout.write(`${basename(target)}: mutation score ${valid === 0 ? 'n/a' : ((100 * killed) / valid).toFixed(1)}% (${killed}/${valid} killed; tests: ${tests.join(' ')})\n`);
