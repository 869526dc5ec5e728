// Runs the CLI's `main` in this process and captures what it writes: for CLI tests against an
// in-process control plane (a child process would not share the plane's lifetime).
import { main } from '../../src/cli/program.ts';

export interface CliResult { readonly code: number; readonly out: string; readonly err: string }

export async function runCli(argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try { return { code: await main(argv), out, err }; } finally { process.stdout.write = o; process.stderr.write = e; process.exitCode = undefined; }
}
