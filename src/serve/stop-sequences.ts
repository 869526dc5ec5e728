/**
 * How a replica ends a completion, the OpenAI way: at the earliest `stop` sequence (cut out,
 * finish_reason "stop"), or when max_tokens runs out (finish_reason "length"). The fake
 * upstream uses it; examples/tiny-chat/server.py implements the same rules in Python.
 */
export type FinishReason = 'stop' | 'length';

/** `stop` as a request carries it (string, array or absent) -> the list of sequences. */
export function stopList(stop: unknown): string[] {
  if (typeof stop === 'string') return stop ? [stop] : [];
  return Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string' && s.length > 0) : [];
}

/** Cuts `text` before the earliest stop sequence; `stopped` tells whether one was found. */
export function cutAtStop(text: string, stops: readonly string[]): { text: string; stopped: boolean } {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at < 0 ? { text, stopped: false } : { text: text.slice(0, at), stopped: true };
}

/**
 * A whole answer of `tokens` (what the model would generate without limits) ended by max_tokens
 * and stop sequences: the tokens that go out (the last one cut short at a stop) and why it ended.
 */
export function finishTokens(tokens: readonly string[], maxTokens: number | undefined, stops: readonly string[]): { tokens: string[]; finishReason: FinishReason } {
  const kept = maxTokens !== undefined && tokens.length > maxTokens ? tokens.slice(0, maxTokens) : tokens;
  const cut = cutAtStop(kept.join(''), stops);
  const out: string[] = [];
  let used = 0;
  for (const t of kept) {
    if (used + t.length > cut.text.length) { if (cut.text.length > used) out.push(cut.text.slice(used)); break; }
    out.push(t);
    used += t.length;
  }
  return { tokens: out, finishReason: cut.stopped || kept.length === tokens.length ? 'stop' : 'length' };
}
