/**
 * Release records of served models, in the data dir: `serving/<model>/gates.jsonl` (every gate
 * result, appended) and `serving/<model>/served.json` (the promoted checkpoint, replaced
 * atomically and only by a passing gate). A failed gate leaves served.json as it was.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

export interface ServedModel {
  readonly model: string;
  readonly checkpoint: string;
  readonly promotedAt: string;
  readonly gate: GateRecord;
}

export class ReleaseStore {
  constructor(readonly dataDir: string) {}

  private dir(model: string): string {
    return join(this.dataDir, 'serving', model);
  }

  /** Appends the gate result; promotes the checkpoint only when it passed. Returns the served model after. */
  record(rec: GateRecord): ServedModel | undefined {
    const dir = this.dir(rec.model);
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, 'gates.jsonl'), JSON.stringify(rec) + '\n');
    if (rec.passed) {
      const served: ServedModel = { model: rec.model, checkpoint: rec.checkpoint, promotedAt: rec.time, gate: rec };
      const tmp = join(dir, 'served.json.tmp');
      writeFileSync(tmp, JSON.stringify(served, null, 1) + '\n');
      renameSync(tmp, join(dir, 'served.json'));
    }
    return this.served(rec.model);
  }

  served(model: string): ServedModel | undefined {
    const f = join(this.dir(model), 'served.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as ServedModel) : undefined;
  }

  /** Gate results, oldest first (a torn last line from a crash is skipped). */
  history(model: string): GateRecord[] {
    const f = join(this.dir(model), 'gates.jsonl');
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8').split('\n').filter(Boolean).flatMap((l) => { try { return [JSON.parse(l) as GateRecord]; } catch { return []; } });
  }
}
