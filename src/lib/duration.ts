// Durations a person types: "30d", "12h", "90m", "45s" (and plain seconds).
import { InputError } from './errors.ts';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds in `text`, between minSeconds and maxSeconds; else an InputError naming `field`. */
export function parseDurationSeconds(text: string, field: string, minSeconds: number, maxSeconds: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw]?)$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[m[2] || 's']! : NaN;
  if (!Number.isFinite(seconds) || seconds < minSeconds || seconds > maxSeconds) {
    throw new InputError({ field, value: text, expected: `a duration like 30d, 12h, 90m or 45s, from ${minSeconds} s to ${Math.round(maxSeconds / 86_400)} days` });
  }
  return seconds;
}
