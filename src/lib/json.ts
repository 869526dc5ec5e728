/**
 * JSON from outside (API bodies, gateway requests): nesting is checked before JSON.parse, since
 * a 10 KB body of 5,000 nested brackets parses fine but overflows the stack of every recursive
 * consumer after it (validation, JSON.stringify in an error message, re-serialising upstream).
 */
import { clip } from './describe.ts';
import { InputError } from './errors.ts';

/** Deepest nesting a request body may have (job specs need 3; chat requests with tool schemas, a few dozen). */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of `[` / `{` in JSON text, stopping early once past `stopAbove` (so an
 * attack costs O(stopAbove) work beyond the scan). Brackets inside strings do not count.
 */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) { max = depth; if (max > stopAbove) return max; }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** JSON.parse with a nesting limit; bad JSON and deep nesting are InputErrors naming `field`. */
export function parseJsonLimited(text: string, field = '(body)', maxDepth = MAX_JSON_DEPTH): unknown {
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) {
    throw new InputError({ field, value: `${clip(text, 40)} (nested more than ${maxDepth} levels)`, expected: `JSON nested at most ${maxDepth} levels deep` });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError({ field, value: clip(text, 80), expected: `valid JSON (${(e as Error).message})` });
  }
}
