/**
 * Incremental scanner of an upstream's server-sent events. The gateway forwards the bytes
 * unchanged; this only notes what it needs: events carrying text (the first-token boundary,
 * token counts), usage, [DONE], errors. It keeps no copy of events it has closed, only the
 * unfinished tail, and builds no object per event (it runs on every chunk of every stream).
 */
export interface SseUsage { prompt_tokens?: number; completion_tokens?: number }

export class SseScanner {
  private tail = '';
  /** Events with text (choices[].delta.content non-empty) seen so far. */
  contentEvents = 0;
  /** The last usage an event reported. */
  usage: SseUsage | undefined;

  /**
   * Feeds a chunk; true when it closed an event that carries text, is [DONE] or is an error:
   * the point from which a stream has reached the client for good.
   */
  push(chunk: string): boolean {
    let text = this.tail.length > 0 ? this.tail + chunk : chunk;
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
    let boundary = false;
    let start = 0;
    let end: number;
    while ((end = text.indexOf('\n\n', start)) >= 0) {
      if (end > start && this.event(text.slice(start, end))) boundary = true;
      start = end + 2;
    }
    this.tail = start === 0 ? text : text.slice(start);
    return boundary;
  }

  /** Classifies one event block with string scans; JSON.parse only for the rare usage events. */
  private event(block: string): boolean {
    const dataAt = block.indexOf('data:');
    if (dataAt < 0) return false;
    const data = block.slice(dataAt + (block.charCodeAt(dataAt + 5) === 32 ? 6 : 5)).trim();
    if (data === '[DONE]') return true;
    const content = CONTENT.test(data);
    if (content) this.contentEvents++;
    if (USAGE.test(data)) {
      try {
        const j = JSON.parse(data) as { usage?: SseUsage };
        if (j.usage) this.usage = j.usage;
      } catch { /* not JSON: forwarded as is, not counted */ }
    }
    return content || data.startsWith('{"error"') || data.startsWith('{ "error"');
  }
}

const CONTENT = /"content"\s*:\s*"(?!")/;
const USAGE = /"usage"\s*:\s*\{/;
