// StrykerJS 9 (Stryker 10 needs Node 22) with the command runner over node's test runner.
// `npm run mutate -- PATH` (scripts/mutate.mjs) fills in `mutate` and the test command for one
// pure module; reports go to reports/mutation/ (git-ignored).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'command',
  coverageAnalysis: 'off',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Two shared cores: one or two test processes at a time.
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // The sandbox needs only the sources and the project files.
  ignorePatterns: ['/*', '!/src', '!/package.json', '!/tsconfig.json'],
  thresholds: { high: 90, low: 85 },
};
