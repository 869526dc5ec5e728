/**
 * Answers for a release gate from an OpenAI-compatible chat endpoint (a replica, a gateway,
 * vLLM): each prompt asked once, greedily (temperature 0), as one user message.
 */
import { ImpossibleError } from '../lib/errors.ts';

export interface EndpointAsk {
  /** Base URL, e.g. http://127.0.0.1:8000 (the /v1/chat/completions path is appended). */
  readonly url: string;
  readonly model: string;
  readonly maxTokens: number;
  readonly apiKey?: string;
  readonly timeoutMs?: number;
}

export async function answersFromEndpoint(ask: EndpointAsk, prompts: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const base = ask.url.replace(/\/+$/, '');
  for (const prompt of prompts) {
    let res: Response;
    try {
      res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST', signal: AbortSignal.timeout(ask.timeoutMs ?? 60_000),
        headers: { 'content-type': 'application/json', ...(ask.apiKey ? { authorization: `Bearer ${ask.apiKey}` } : {}) },
        body: JSON.stringify({ model: ask.model, messages: [{ role: 'user', content: prompt }], temperature: 0, max_tokens: ask.maxTokens }),
      });
    } catch (e) {
      throw new ImpossibleError(`eval endpoint ${base} did not answer: ${(e as Error).message}`, 'is the replica or gateway at --endpoint running?');
    }
    const text = await res.text();
    if (!res.ok) throw new ImpossibleError(`eval endpoint ${base} answered HTTP ${res.status}: ${text.slice(0, 200)}`, `does it serve model "${ask.model}"?`);
    try {
      const j = JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] };
      const content = j.choices?.[0]?.message?.content;
      out[prompt] = typeof content === 'string' ? content.trim() : '';
    } catch {
      throw new ImpossibleError(`eval endpoint ${base} answered with invalid JSON: ${text.slice(0, 120)}`, 'point --endpoint at an OpenAI-compatible server');
    }
  }
  return out;
}
