// Test helpers for Prometheus expositions: `promtool check metrics` (Debian's prometheus
// package) and reading one series' value.
import { spawnSync } from 'node:child_process';

export const hasPromtool = (): boolean => spawnSync('promtool', ['--version']).status === 0;
export const PROMTOOL_MISSING = 'promtool not found: apt-get install prometheus';

/** `promtool check metrics` on an exposition; returns its complaints ('' when clean). */
export function promtoolCheck(text: string): string {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}`;
}

/** The value of one series (`name{labels}` exactly as exposed) in an exposition, or undefined. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
