// The test command of `npm run mutate` (scripts/mutate.mjs): imports every test file named on the
// command line into this one process, under `node --import tsx`, so node's test runner runs them
// all here. `node --test` starts one more process (and one more tsx) per test file; with one
// process per mutant that doubled the time of a run. The exit code is non-zero when a test fails
// or a file does not load, which is what Stryker's command runner reads as a killed mutant.
// Only for the pure modules' tests: a test that leaves a handle open would hang this process.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

for (const file of process.argv.slice(2)) await import(pathToFileURL(resolve(file)).href);
