// Values shown back to a user (error messages, error bodies): short, and never a throw.

export const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}...` : s);

/**
 * A value as it may appear in an error message or body: JSON text clipped to `maxChars`, or a
 * placeholder when it cannot be serialised (cycles, depth). Never throws.
 */
export function describeValue(value: unknown, maxChars = 200): string {
  let s: string | undefined;
  try { s = JSON.stringify(value); } catch { return '(a value that cannot be shown)'; }
  if (s === undefined) return String(value);
  return clip(s, maxChars);
}

/** `value` itself when its JSON is short, else its clipped text (so error bodies stay small and serialisable). */
export function boundedValue(value: unknown, maxChars = 200): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || value === undefined) return value;
  if (typeof value === 'string') return clip(value, maxChars);
  const s = describeValue(value, maxChars + 1);
  return s.length <= maxChars ? value : s;
}

/** "a string", "an object", "an integer": the article a type name takes in a message. */
export const withArticle = (noun: string): string => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
