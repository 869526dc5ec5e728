import { jsonDepth, MAX_JSON_DEPTH } from '../lib/json.ts';
import { GatewayError, badRequest } from './errors.ts';

/** The fields of a chat completion request the gateway reads; the rest passes through untouched. */
export interface ChatRequest {
  readonly model: string;
  readonly stream: boolean;
  /** Completion budget: max_tokens / max_completion_tokens, or the gateway default. */
  readonly maxTokens: number;
  /** Estimated prompt tokens (about 4 characters per token) for routing and rate limits. */
  readonly promptTokensEstimate: number;
  /** Text of the leading messages, for prefix-affinity routing. */
  readonly prefix: string;
  /** The body as received, re-serialised only if the gateway must change it. */
  readonly body: Record<string, unknown>;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
/** Characters per token for estimates before the upstream reports usage (English BPE average). */
export const CHARS_PER_TOKEN = 4;

function contentText(content: unknown, i: number): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content.map((part, j) => {
      if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') return (part as { text: string }).text;
      if (part && typeof part === 'object' && typeof (part as { type?: unknown }).type === 'string') return '';
      throw badRequest(`messages[${i}].content[${j}] must be a content part object like {"type":"text","text":"..."}`, `messages[${i}].content`);
    }).join('');
  }
  throw badRequest(`messages[${i}].content must be a string or an array of content parts`, `messages[${i}].content`);
}

/** Parses and validates a POST /v1/chat/completions body. Throws GatewayError 400 naming the field. */
export function parseChatRequest(raw: Buffer, defaultMaxTokens: number, prefixChars: number): ChatRequest {
  let body: unknown;
  const text = raw.toString('utf8');
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw badRequest(`request body: nested more than ${MAX_JSON_DEPTH} levels; expected JSON nested at most ${MAX_JSON_DEPTH} levels deep`);
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw badRequest(`request body is not valid JSON (${(e as Error).message}); send {"model": "...", "messages": [{"role": "user", "content": "..."}]}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.length === 0) throw badRequest(`model: got ${JSON.stringify(b.model)}; expected a model id string (GET /v1/models lists them)`, 'model');
  try {
    return checkedRequest(b as Record<string, unknown> & { model: string }, defaultMaxTokens, prefixChars);
  } catch (e) {
    // The model it named labels the rejection in metrics (if served: the gateway decides).
    if (e instanceof GatewayError) e.requestModel = b.model;
    throw e;
  }
}

/** The fields after `model`, checked; throws GatewayError 400 naming the field. */
function checkedRequest(b: Record<string, unknown> & { model: string }, defaultMaxTokens: number, prefixChars: number): ChatRequest {
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw badRequest(`messages: got ${JSON.stringify(b.messages)?.slice(0, 80)}; expected a non-empty array of {role, content}`, 'messages');
  let chars = 0;
  let prefix = '';
  b.messages.forEach((m, i) => {
    if (!m || typeof m !== 'object') throw badRequest(`messages[${i}] must be an object {role, content}`, `messages[${i}]`);
    const role = (m as { role?: unknown }).role;
    if (typeof role !== 'string' || !ROLES.has(role)) throw badRequest(`messages[${i}].role: got ${JSON.stringify(role)}; expected one of ${[...ROLES].join(', ')}`, `messages[${i}].role`);
    const text = contentText((m as { content?: unknown }).content, i);
    chars += text.length + role.length;
    if (prefix.length < prefixChars) prefix += `${role}:${text}\n`;
  });
  if (b.stream !== undefined && typeof b.stream !== 'boolean') throw badRequest(`stream: got ${JSON.stringify(b.stream)}; expected true or false`, 'stream');
  const mt = b.max_completion_tokens ?? b.max_tokens;
  if (mt !== undefined && mt !== null && (!Number.isInteger(mt) || (mt as number) < 1)) throw badRequest(`max_tokens: got ${JSON.stringify(mt)}; expected an integer >= 1`, 'max_tokens');
  // One choice per request: replicas (tiny-chat, vLLM behind a router) are sized per sequence.
  if (b.n !== undefined && b.n !== null && b.n !== 1) throw new GatewayError(400, 'invalid_request_error', `n: got ${JSON.stringify(b.n)}; this gateway returns one choice per request (n = 1); send several requests for several answers`, { param: 'n', code: 'unsupported_value' });
  if (b.stop !== undefined && b.stop !== null && typeof b.stop !== 'string' && !(Array.isArray(b.stop) && b.stop.length <= 4 && b.stop.every((x) => typeof x === 'string' && x.length > 0))) {
    throw badRequest(`stop: got ${JSON.stringify(b.stop)?.slice(0, 80)}; expected a string or an array of up to 4 non-empty strings`, 'stop');
  }
  if (b.stream_options !== undefined && b.stream_options !== null) {
    const so = b.stream_options as { include_usage?: unknown };
    if (b.stream !== true) throw badRequest('stream_options: only allowed when stream is true', 'stream_options');
    if (typeof so !== 'object' || Array.isArray(so) || (so.include_usage !== undefined && typeof so.include_usage !== 'boolean')) throw badRequest(`stream_options: got ${JSON.stringify(so)?.slice(0, 80)}; expected {"include_usage": true|false}`, 'stream_options');
  }
  for (const k of ['temperature', 'top_p'] as const) {
    if (b[k] !== undefined && b[k] !== null && (typeof b[k] !== 'number' || !Number.isFinite(b[k]))) throw badRequest(`${k}: got ${JSON.stringify(b[k])}; expected a number`, k);
  }
  return {
    model: b.model, stream: b.stream === true,
    maxTokens: typeof mt === 'number' ? mt : defaultMaxTokens,
    promptTokensEstimate: Math.ceil(chars / CHARS_PER_TOKEN),
    prefix: prefix.slice(0, prefixChars),
    body: b,
  };
}
