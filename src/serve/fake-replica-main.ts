// A FAKE model replica process (no model): the fake OpenAI-compatible upstream on --port, for
// control-plane serve-job tests where starting PyTorch replicas would be slow.
//   node --import tsx src/serve/fake-replica-main.ts --port 18300 [--model tiny-chat] [--chunk-delay-ms 5] [--max-seconds N]
import { startFakeUpstream } from './fake-upstream.ts';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] ?? dflt : dflt; };
const f = await startFakeUpstream({ port: Number(arg('--port', '0')), model: arg('--model', 'tiny-chat'), words: 16, chunkDelayMs: Number(arg('--chunk-delay-ms', '5')) }, 'fake');
process.stdout.write(`fake replica on ${f.url}\n`);
const stop = () => { void f.close().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// A safety net for tests: a replica nobody stopped exits by itself.
const maxSeconds = Number(arg('--max-seconds', '0'));
if (maxSeconds > 0) setTimeout(stop, maxSeconds * 1000).unref();
