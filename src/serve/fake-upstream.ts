import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { finishTokens, stopList } from './stop-sequences.ts';

/**
 * A FAKE OpenAI-compatible chat server for gateway tests and the gateway benchmark: it answers
 * instantly with canned words (no model). Behaviour is switchable to exercise failure paths.
 */
export type FakeMode = 'ok' | 'http-500' | 'drop-before-first-token' | 'drop-mid-stream' | 'hang';

export interface FakeUpstreamOptions {
  readonly model?: string;
  /** Words in each answer (one streamed chunk per word). */
  readonly words?: number;
  /** Delay between streamed chunks, ms (0: all in one write). */
  readonly chunkDelayMs?: number;
  mode?: FakeMode;
  /** Port to listen on (0: any free one). */
  readonly port?: number;
  /** Answer text per last user message (else canned words); split into one token per word. */
  answer?: (prompt: string) => string;
  /** Extra wait before answering each chat request, ms (an injected slow replica). */
  delayMs?: number;
}

export interface FakeUpstream {
  readonly url: string;
  readonly port: number;
  readonly options: FakeUpstreamOptions;
  /** Chat requests received, and how many of them the client cancelled before the end. */
  readonly counters: { requests: number; cancelled: number; health: number };
  close(): Promise<void>;
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}, name = 'fake'): Promise<FakeUpstream> {
  const counters = { requests: 0, cancelled: 0, health: 0 };
  const model = options.model ?? 'tiny-chat';
  const startedSeconds = Math.floor(Date.now() / 1000);
  const server = http.createServer({ noDelay: true }, (req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    if (req.method === 'GET' && (req.url === '/v1/models' || req.url === '/health')) {
      counters.health++;
      if (options.mode === 'http-500') { res.writeHead(500); res.end(); return; }
      const body = JSON.stringify({ object: 'list', data: [{ id: model, object: 'model', created: startedSeconds, owned_by: name }] });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      counters.requests++;
      const mode = options.mode ?? 'ok';
      if (mode === 'hang') return;
      if (mode === 'http-500') { res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"error":{"message":"fake failure"}}'); return; }
      let ask: { messages?: { role?: string; content?: unknown }[]; stream?: boolean; max_tokens?: number; max_completion_tokens?: number; stop?: unknown; stream_options?: { include_usage?: boolean } } = {};
      try { ask = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof ask; } catch { /* fake: defaults */ }
      const stream = ask.stream === true;
      // One token per word, ended by max_tokens and stop sequences as a real server ends them.
      const prompt = ask.messages?.filter((m) => m.role === 'user').at(-1)?.content;
      const all = options.answer ? options.answer(typeof prompt === 'string' ? prompt : '').split(/(?<=\s)/) : Array.from({ length: options.words ?? 8 }, (_, i) => `${name}${i} `);
      const { tokens: words, finishReason } = finishTokens(all, ask.max_completion_tokens ?? ask.max_tokens, stopList(ask.stop));
      const created = Math.floor(Date.now() / 1000);
      const usage = { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length };
      if (!stream) {
        if (mode !== 'ok') { res.socket?.destroy(); return; }
        const body = JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: finishReason }], usage });
        const send = () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); };
        if (options.delayMs) setTimeout(send, options.delayMs); else send();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const ev = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const usageEv = ask.stream_options?.include_usage === true ? [`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`] : [];
      const events = [ev({ role: 'assistant' }), ...words.map((w) => ev({ content: w })), ev({}, finishReason), ...usageEv, 'data: [DONE]\n\n'];
      if (mode === 'drop-before-first-token') { res.write(events[0]!); setImmediate(() => res.socket?.destroy()); return; }
      const cut = mode === 'drop-mid-stream' ? 3 : events.length;
      res.on('close', () => { if (!res.writableFinished) counters.cancelled++; });
      const delay = options.chunkDelayMs ?? 0;
      if (delay === 0 && cut === events.length && !options.delayMs) { res.end(events.join('')); return; }
      let i = 0;
      const next = () => {
        if (res.destroyed) return;
        if (i >= cut) { if (cut < events.length) res.socket?.destroy(); else res.end(); return; }
        res.write(events[i++]!);
        setTimeout(next, delay);
      };
      if (options.delayMs) setTimeout(next, options.delayMs); else next();
    });
  });
  await new Promise<void>((ok) => server.listen(options.port ?? 0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, port, options, counters,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
