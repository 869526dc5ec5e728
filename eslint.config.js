// Lint rules, including the architecture rules of DESIGN.md:
// - dependencies point down the module map (a lower layer never imports a higher one);
// - pure layers (catalog, fleet, plan, sched, sim) do no I/O and use no ambient time or randomness.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layers = ['lib', 'catalog', 'fleet', 'plan', 'sched', 'sim', 'control', 'serve', 'cli', 'web'];
/** What each layer may NOT import (everything above it). */
const forbiddenAbove = {
  lib: ['catalog', 'fleet', 'plan', 'sched', 'sim', 'control', 'serve', 'cli', 'web'],
  catalog: ['fleet', 'plan', 'sched', 'sim', 'control', 'serve', 'cli', 'web'],
  fleet: ['plan', 'sched', 'sim', 'control', 'serve', 'cli', 'web'],
  plan: ['sched', 'sim', 'control', 'serve', 'cli', 'web'],
  sched: ['sim', 'control', 'serve', 'cli', 'web'],
  sim: ['control', 'serve', 'cli', 'web'],
  control: ['cli', 'web'],
  serve: ['cli', 'web'],
  cli: [],
  web: ['cli'],
};
const pure = ['lib', 'catalog', 'fleet', 'plan', 'sched', 'sim'];
const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'worker_threads', 'crypto', 'process', 'dgram', 'cluster', 'readline', 'stream'];

const layerConfigs = layers.map((layer) => {
  const patterns = forbiddenAbove[layer].map((up) => ({
    // src/plan/serve (the serving planner) is part of plan, not of the serve layer above sim.
    group: [`**/${up}/**`, `../${up}/*`, `../../${up}/*`, ...(up === 'serve' ? ['!**/plan/serve/**'] : [])],
    message: `DESIGN.md module map: src/${layer} must not import src/${up} (dependencies point down).`,
  }));
  const isPure = pure.includes(layer);
  if (isPure) {
    patterns.push({
      group: ['node:*', ...nodeBuiltins, 'better-sqlite3', 'pg', 'hono', '@hono/*'],
      message: `src/${layer} is a pure layer: no I/O; pass data in from an edge (control/, cli/, web/).`,
    });
  }
  const rules = { 'no-restricted-imports': ['error', { patterns }] };
  if (isPure) {
    const msg = `src/${layer} is pure and deterministic: inject the clock / seeded RNG instead.`;
    rules['no-restricted-globals'] = ['error',
      { name: 'Date', message: msg }, { name: 'setTimeout', message: msg }, { name: 'setInterval', message: msg },
      { name: 'performance', message: msg }, { name: 'process', message: msg }, { name: 'require', message: msg }];
    rules['no-restricted-properties'] = ['error', { object: 'Math', property: 'random', message: msg }];
  }
  return { files: [`src/${layer}/**/*.ts`], ignores: ['**/*.test.ts'], rules };
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.gigafactory/**', 'examples/**/*.py', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', fetch: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', structuredClone: 'readonly', performance: 'readonly', ReadableStream: 'readonly', AbortSignal: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...layerConfigs,
);
