/**
 * Incremental parser for an upstream's server-sent events. Keeps each event's raw text so
 * the gateway forwards bytes unchanged, and notes what it needs: text content, usage, [DONE].
 */
export interface SseEvent {
  /** The event block, ending with the blank line, ready to forward. */
  readonly raw: string;
  readonly done: boolean;
  /** Text of choices[].delta.content in this event. */
  readonly content: string;
  readonly usage?: { prompt_tokens?: number; completion_tokens?: number };
  readonly error: boolean;
}

export class SseParser {
  private buffer = '';

  /** Feeds a chunk; returns the complete events it closed. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk.includes('\r') ? chunk.replace(/\r\n?/g, '\n') : chunk;
    const out: SseEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      if (block.trim().length === 0) continue;
      out.push(parseBlock(block));
    }
    return out;
  }

  /** Text after the last complete event (an upstream that ended mid-event). */
  rest(): string {
    return this.buffer;
  }
}

function parseBlock(block: string): SseEvent {
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line.charAt(5) === ' ' ? 6 : 5);
  }
  const raw = `${block}\n\n`;
  if (data === '[DONE]') return { raw, done: true, content: '', error: false };
  let content = '';
  let usage: SseEvent['usage'];
  let error = false;
  try {
    const j = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[]; usage?: SseEvent['usage']; error?: unknown };
    for (const c of j.choices ?? []) if (typeof c?.delta?.content === 'string') content += c.delta.content;
    if (j.usage && typeof j.usage === 'object') usage = j.usage;
    error = j.error !== undefined;
  } catch {
    // Not JSON (a comment or keep-alive): forwarded as is, carries no text.
  }
  return usage ? { raw, done: false, content, usage, error } : { raw, done: false, content, error };
}
