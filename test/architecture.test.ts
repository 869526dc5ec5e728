// The module map of DESIGN.md is enforced by lint: a pure layer importing an edge, or using
// ambient time or randomness, must fail. These cases lint synthetic files at real paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? 'fatal');
}

const cases: { name: string; file: string; code: string; rule: string | null }[] = [
  { name: 'plan importing control fails', file: 'src/plan/x.ts', code: "import { a } from '../control/store.ts';\nexport const b = a;\n", rule: 'no-restricted-imports' },
  { name: 'sched importing sim fails', file: 'src/sched/x.ts', code: "import { a } from '../sim/kernel.ts';\nexport const b = a;\n", rule: 'no-restricted-imports' },
  { name: 'catalog importing node:fs fails', file: 'src/catalog/x.ts', code: "import { readFileSync } from 'node:fs';\nexport const b = readFileSync;\n", rule: 'no-restricted-imports' },
  { name: 'Date in sim fails', file: 'src/sim/x.ts', code: 'export const t = Date.now();\n', rule: 'no-restricted-globals' },
  { name: 'Math.random in sched fails', file: 'src/sched/x.ts', code: 'export const r = Math.random();\n', rule: 'no-restricted-properties' },
  { name: 'control importing sched is allowed', file: 'src/control/x.ts', code: "import { a } from '../sched/types.ts';\nexport const b = a;\n", rule: null },
  { name: 'Date in control is allowed', file: 'src/control/x.ts', code: 'export const t = Date.now();\n', rule: null },
];

for (const c of cases) {
  test(c.name, async () => {
    const ids = await ruleIds(c.code, c.file);
    if (c.rule === null) assert.deepEqual(ids.filter((r) => r.startsWith('no-restricted')), []);
    else assert.ok(ids.includes(c.rule), `expected ${c.rule}, got ${ids.join(', ') || 'none'}`);
  });
}
