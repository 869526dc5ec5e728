// No import cycles among the modules of src/: a cycle couples two modules so that neither can
// be read, tested or replaced alone (the simulator's Engine and its failure process were one
// such pair; the failure process now depends on the FailureTarget interface instead). Type-only
// imports count too. A new cycle fails here and names its modules in import order.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve('src');

/** Cycles that exist on purpose, each as its modules sorted and joined by ' <-> ', with why. None today. */
const ALLOWED: ReadonlyMap<string, string> = new Map();

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p); // a test imports; nothing imports a test
  }
  return out;
}

/** Relative imports of one file: static `import`/`export ... from` at the start of a line, and `import('...')`. */
function relativeImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'";]*?['"](\.{1,2}\/[^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

function resolveImport(from: string, spec: string): string | undefined {
  const p = resolve(dirname(from), spec);
  for (const c of [p, p.replace(/\.js$/, '.ts'), `${p}.ts`, join(p, 'index.ts')]) if (c.endsWith('.ts') && existsSync(c)) return c;
  return undefined;
}

/** Strongly connected components of more than one module (or a module importing itself), each as a cycle path. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter); low.set(v, counter++); stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc = new Set<string>();
    for (let w = stack.pop()!; ; w = stack.pop()!) { onStack.delete(w); scc.add(w); if (w === v) break; }
    if (scc.size > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(pathWithin(graph, scc));
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** One cycle through the smallest-named module of a component: a -> b -> ... -> a. */
function pathWithin(graph: ReadonlyMap<string, readonly string[]>, scc: ReadonlySet<string>): string[] {
  const start = [...scc].sort()[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!scc.has(w)) continue;
      if (w === start) { const path = [start]; for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u); return [...path, start]; }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [start, start];
}

test('findCycles names a two-module cycle and ignores a chain', () => {
  assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', ['a', 'c']], ['c', []]])), [['a', 'b', 'a']]);
  assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), []);
  assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]])), [['a', 'b', 'c', 'a']]);
});

test('relativeImports reads type-only, re-exports, multi-line and dynamic imports, not comments', () => {
  const text = "import type { A } from './a.ts';\nexport { B } from '../b.ts';\nimport {\n  C,\n} from './c.ts';\n// import { D } from './d.ts';\nconst e = await import('./e.ts');\nimport x from 'node:fs';\n";
  assert.deepEqual(relativeImports(text), ['./a.ts', '../b.ts', './c.ts', './e.ts']);
});

test('src/ has no import cycle (type-only imports included)', () => {
  const files = sourceFiles(ROOT);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = relativeImports(readFileSync(f, 'utf8')).map((s) => resolveImport(f, s)).filter((p): p is string => p !== undefined && known.has(p));
    graph.set(relative(ROOT, f), deps.map((p) => relative(ROOT, p)));
  }
  assert.ok(graph.size > 100 && [...graph.values()].some((d) => d.length > 0), 'the walk found the modules and their imports');
  const cycles = findCycles(graph).filter((c) => !ALLOWED.has([...new Set(c)].sort().join(' <-> ')));
  assert.deepEqual(cycles.map((c) => c.join(' -> ')), [], 'import cycles in src/ (break each with an interface, or move the shared type to the module both import)');
});
