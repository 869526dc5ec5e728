// A FAKE model replica process (no model): the fake OpenAI-compatible upstream on --port, for
// control-plane serve-job tests where starting PyTorch replicas would be slow.
//   node --import tsx src/serve/fake-replica-main.ts --port 18300 [--model tiny-chat] [--chunk-delay-ms 5] [--max-seconds N] [--checkpoint DIR] [--advertise HOST]
// A FAKE checkpoint DIR may hold fake-replica.json {"delay_ms": N, "answers": {PROMPT: ANSWER}}:
// an injected slow release, and what it answers to given prompts (eval suites).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream } from './fake-upstream.ts';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] ?? dflt : dflt; };
const conf = join(arg('--checkpoint', '/nonexistent'), 'fake-replica.json');
const fake = existsSync(conf) ? JSON.parse(readFileSync(conf, 'utf8')) as { delay_ms?: number; answers?: Record<string, string> } : {};
const answers = fake.answers;
const f = await startFakeUpstream({
  port: Number(arg('--port', process.env.GF_PORT ?? '0')), model: arg('--model', 'tiny-chat'), words: 16, chunkDelayMs: Number(arg('--chunk-delay-ms', '5')), delayMs: fake.delay_ms ?? 0,
  ...(answers ? { answer: (prompt: string) => answers[prompt] ?? Array.from({ length: 16 }, (_, i) => `fake${i} `).join('') } : {}),
}, 'fake');
process.stdout.write(`fake replica on ${f.url}\n`);
// The deployment contract: tell the control plane where to reach this replica.
if (process.env.GF_ENDPOINT_FILE) writeFileSync(process.env.GF_ENDPOINT_FILE, `http://${arg('--advertise', '127.0.0.1')}:${f.port}\n`);
const stop = () => { void f.close().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// A safety net for tests: a replica nobody stopped exits by itself.
const maxSeconds = Number(arg('--max-seconds', '0'));
if (maxSeconds > 0) setTimeout(stop, maxSeconds * 1000).unref();
