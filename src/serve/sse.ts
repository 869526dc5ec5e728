/**
 * Incremental parser for an upstream's server-sent events. Keeps each event's raw text so
 * the gateway forwards bytes unchanged, and notes what it needs: text content, usage, [DONE].
 */
export interface SseEvent {
  /** The event block, ending with the blank line, ready to forward. */
  readonly raw: string;
  readonly done: boolean;
  /** Non-empty when the event carries text (choices[].delta.content); not the text itself. */
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

const CONTENT = /"content"\s*:\s*"(?!")/;
const USAGE = /"usage"\s*:\s*\{/;

/** Classifies one event with string scans; JSON.parse only for the rare usage/error events. */
function parseBlock(block: string): SseEvent {
  const raw = `${block}\n\n`;
  const dataAt = block.indexOf('data:');
  if (dataAt < 0) return { raw, done: false, content: '', error: false };
  const data = block.slice(dataAt + (block.charAt(dataAt + 5) === ' ' ? 6 : 5)).trim();
  if (data === '[DONE]') return { raw, done: true, content: '', error: false };
  // Text presence is what the gateway needs per event (the first-token boundary, token counts).
  const content = CONTENT.test(data) ? 'x' : '';
  const error = data.startsWith('{"error"') || data.startsWith('{ "error"');
  if (!USAGE.test(data)) return { raw, done: false, content, error };
  try {
    const j = JSON.parse(data) as { usage?: SseEvent['usage'] };
    return j.usage ? { raw, done: false, content, usage: j.usage, error } : { raw, done: false, content, error };
  } catch {
    return { raw, done: false, content, error };
  }
}
