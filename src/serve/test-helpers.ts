import { Gateway, type GatewayOptions } from './gateway.ts';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './fake-upstream.ts';

/** A gateway on 127.0.0.1 in front of fake upstreams; `close` stops all of them. */
export async function startStack(upstreams: FakeUpstreamOptions[], options: GatewayOptions = {}): Promise<{ gw: Gateway; base: string; fakes: FakeUpstream[]; close: () => Promise<void> }> {
  const fakes = await Promise.all(upstreams.map((o, i) => startFakeUpstream(o, `r${i}-`)));
  const gw = new Gateway({ healthCheckIntervalMs: 0, firstByteTimeoutMs: 5000, ...options, replicas: fakes.map((f) => ({ url: f.url, model: f.options.model ?? 'tiny-chat' })) });
  const port = await gw.listen(0);
  return { gw, base: `http://127.0.0.1:${port}`, fakes, close: async () => { await gw.close(); await Promise.all(fakes.map((f) => f.close())); } };
}

export const chatBody = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'tiny-chat', messages: [{ role: 'user', content: 'hello' }], ...extra });

export async function post(base: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(10_000) });
}

/** Reads an SSE response into its data payloads. */
export async function sseData(res: Response): Promise<string[]> {
  const text = await res.text();
  return text.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => b.slice(6));
}

export const contentOf = (payloads: string[]) => payloads.filter((p) => p !== '[DONE]').map((p) => JSON.parse(p) as { choices?: { delta?: { content?: string } }[] })
  .map((j) => j.choices?.[0]?.delta?.content ?? '').join('');
