// Detects this machine (CPU cores, memory, NVIDIA GPUs) for the `local` fleet preset.
// GPUs come from nvidia-smi when it is installed; the runner is injectable for tests.
import { execFileSync } from 'node:child_process';
import { cpus, hostname, totalmem } from 'node:os';
import type { HostGpu, HostInfo } from '../fleet/local.ts';

export type { HostGpu, HostInfo };

/** Runs a program and returns its stdout, or undefined if it is missing or fails. */
export type CommandRunner = (file: string, args: readonly string[]) => string | undefined;

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'] as const;

export const execRunner: CommandRunner = (file, args) => {
  try {
    return execFileSync(file, [...args], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
};

/** Parses `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits` (memory in MiB). */
export function parseNvidiaSmi(csv: string): HostGpu[] {
  const gpus: HostGpu[] = [];
  for (const line of csv.split('\n')) {
    const parts = line.split(',').map((s) => s.trim());
    if (parts.length < 3) continue;
    const index = Number(parts[0]);
    const mib = Number(parts[parts.length - 1]);
    const name = parts.slice(1, -1).join(',');
    if (!Number.isInteger(index) || !Number.isFinite(mib) || name === '') continue;
    gpus.push({ index, name, memoryBytes: mib * 2 ** 20 });
  }
  return gpus;
}

export interface DetectOptions {
  readonly runner?: CommandRunner;
  /** Overrides for tests; default: node:os. */
  readonly os?: { hostname: () => string; cpuCores: () => number; memoryBytes: () => number };
}

export function detectHost(options: DetectOptions = {}): HostInfo {
  const runner = options.runner ?? execRunner;
  const os = options.os ?? { hostname, cpuCores: () => cpus().length, memoryBytes: totalmem };
  const out = runner('nvidia-smi', NVIDIA_SMI_ARGS);
  return { hostname: os.hostname(), cpuCores: os.cpuCores(), memoryBytes: os.memoryBytes(), gpus: out === undefined ? [] : parseNvidiaSmi(out) };
}
