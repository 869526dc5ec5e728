/**
 * The one YAML loader for every YAML input (job files, fleets, model files, workload mixes,
 * release gates). It bounds what a hostile file can cost before any schema sees it: its size,
 * its number of aliases (an alias "bomb" of nested anchors expands exponentially), and its
 * nesting (a stack overflow in a recursive walk). Every refusal is an InputError naming the
 * file, the rule and the limit; syntax errors carry their line. Duplicate keys are errors.
 */
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { InputError } from './errors.ts';

/** Largest YAML input, bytes: the biggest real one (a 100k-GPU fleet) is a few KB. */
export const MAX_YAML_BYTES = 1 << 20;
/** Most aliases (`*name`) in one document: real files use a handful to share a block. */
export const MAX_YAML_ALIASES = 100;
/** The yaml library's maxAliasCount: how far aliases may expand (referenced nodes x references). */
export const MAX_YAML_ALIAS_EXPANSION = 1000;
/** Deepest nesting of mappings and lists (the real files nest 4 levels). */
export const MAX_YAML_DEPTH = 64;

export interface LoadedYaml {
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  /** The document as plain data (aliases expanded). */
  readonly value: unknown;
  /** 1-based line of the node at `path`, when it exists. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

export function loadYaml(text: string, fileName: string): LoadedYaml {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_YAML_BYTES) {
    throw new InputError({ field: '(file size)', value: `${bytes} bytes`, expected: `a YAML file of at most ${MAX_YAML_BYTES} bytes` }, fileName);
  }
  const depth = flowDepth(text);
  if (depth > MAX_YAML_DEPTH) throw tooDeep(depth, fileName);
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep(undefined, fileName);
    throw e;
  }
  if (doc.errors.length > 0) {
    const source = text.split('\n');
    throw new InputError(doc.errors.map((e) => {
      const line = e.linePos?.[0].line;
      const value = line === undefined ? e.code : source[line - 1]?.trim();
      return { field: '(yaml syntax)', value, expected: `valid YAML (${e.code}): ${e.message.split('\n')[0]}`, ...(line !== undefined ? { line } : {}) };
    }), fileName);
  }
  let aliases = 0;
  let firstAliasLine: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      aliases++;
      if (firstAliasLine === undefined && node.range) firstAliasLine = lines.linePos(node.range[0]).line;
      return aliases > MAX_YAML_ALIASES ? visit.BREAK : undefined;
    },
  });
  if (aliases > MAX_YAML_ALIASES) {
    throw new InputError({ field: '(yaml aliases)', value: `more than ${MAX_YAML_ALIASES} aliases`, expected: `at most ${MAX_YAML_ALIASES} aliases (*name) in one file`, ...(firstAliasLine !== undefined ? { line: firstAliasLine } : {}) }, fileName);
  }
  let value: unknown;
  try {
    // The library's own guard against exponential expansion (aliases of aliases).
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_EXPANSION });
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep(undefined, fileName);
    if (e instanceof ReferenceError) {
      throw new InputError({ field: '(yaml aliases)', value: e.message, expected: `aliases that expand to at most ${MAX_YAML_ALIAS_EXPANSION} nodes (no aliases of aliases of aliases: an alias "bomb")` }, fileName);
    }
    throw e;
  }
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lines.linePos(node.range[0]).line : undefined;
  };
  return { doc, lines, value, lineOf };
}

const tooDeep = (depth: number | undefined, fileName: string): InputError =>
  new InputError({ field: '(yaml nesting)', value: depth === undefined ? 'too deep to read' : `${depth} levels`, expected: `mappings and lists nested at most ${MAX_YAML_DEPTH} levels deep` }, fileName);

/** Deepest nesting of flow collections ([ ], { }) outside quotes and comments: a cheap pre-check. */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = 0;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (comment) { if (c === 0x0a) comment = false; continue; }
    if (quote !== 0) {
      if (quote === 0x22 && c === 0x5c) i++;
      else if (c === quote) quote = 0;
      continue;
    }
    if (c === 0x22 || c === 0x27) { if (i === 0 || ' \t\n:,[{-'.includes(text[i - 1]!)) quote = c; } // a quote that starts a scalar (not "don't")
    else if (c === 0x23 && (i === 0 || text.charCodeAt(i - 1) === 0x20 || text.charCodeAt(i - 1) === 0x0a)) comment = true;
    else if (c === 0x5b || c === 0x7b) { if (++depth > max) max = depth; }
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}
