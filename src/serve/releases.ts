/**
 * Release-gate records of served models. They live in the control plane's store
 * (./gate-book.ts); this file holds their shape, and reads the data-dir files older versions
 * wrote (`serving/<model>/gates.jsonl`, every result appended) so the plane can import them once.
 */
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalSuite } from './eval-suites.ts';
import type { EvalScores, GateDecision } from './gate.ts';

export interface GateRecord {
  readonly model: string;
  /** The promoted copy when passed; the evaluated source otherwise. */
  readonly checkpoint: string;
  /** The checkpoint as given (a training job's checkpoint dir). */
  readonly source?: string;
  readonly time: string;
  readonly passed: boolean;
  readonly decision: GateDecision;
  readonly scores: EvalScores;
  /** The control-plane eval job that produced the scores, when run through one. */
  readonly evalJobId?: string;
  /** The gate's eval suites as declared (a canary of this checkpoint may be held to them again). */
  readonly suites?: readonly EvalSuite[];
}

/** The served (promoted) checkpoint of a model: that of its last passing gate. */
export interface ServedModel {
  readonly model: string;
  readonly checkpoint: string;
  readonly promotedAt: string;
  readonly gate: GateRecord;
}

export const servedOf = (model: string, history: readonly GateRecord[]): ServedModel | undefined => {
  const last = history.findLast((g) => g.passed);
  return last ? { model, checkpoint: last.checkpoint, promotedAt: last.time, gate: last } : undefined;
};

/** What an older version left in `<dataDir>/serving`: each model's gate results, oldest first. */
export function readLegacyGateFiles(dataDir: string): Map<string, GateRecord[]> {
  const out = new Map<string, GateRecord[]>();
  const root = join(dataDir, 'serving');
  let models: string[];
  try { models = readdirSync(root); } catch { return out; }
  for (const model of models) {
    const f = join(root, model, 'gates.jsonl');
    if (!existsSync(f)) continue;
    // A torn last line from a crash, or a line that is not a record, is skipped.
    const records = readFileSync(f, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
      try {
        const r = JSON.parse(l) as GateRecord;
        return r && typeof r === 'object' && typeof r.checkpoint === 'string' && typeof r.passed === 'boolean' && typeof r.time === 'string' ? [{ ...r, model }] : [];
      } catch { return []; }
    });
    out.set(model, records);
  }
  return out;
}

/** After an import: the old files stay, renamed, so they are read once and nothing is lost. */
export function markLegacyGateFilesImported(dataDir: string, model: string): void {
  for (const f of ['gates.jsonl', 'served.json']) {
    const p = join(dataDir, 'serving', model, f);
    if (existsSync(p)) renameSync(p, `${p}.imported`);
  }
}
