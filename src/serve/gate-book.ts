/**
 * The release gates' results in the control plane's store (SQLite or PostgreSQL), so a plane
 * that restarts or fails over keeps them: every result is appended; the served checkpoint of a
 * model is that of its last passing result. Results are a tenant's own (an admin sees all);
 * those imported from an older data dir's files (tenant "") count for every tenant.
 */
import type { DeploymentTable } from '../control/store/deployment-table.ts';
import { markLegacyGateFilesImported, readLegacyGateFiles, servedOf, type GateRecord, type ServedModel } from './releases.ts';

export class GateBook {
  private imported: Promise<void> | undefined;

  constructor(private readonly table: DeploymentTable, private readonly dataDir: string, private readonly log?: (line: string) => void) {}

  /** Once per plane: results older versions kept in `<dataDir>/serving/<model>/gates.jsonl` move into the store. */
  private importLegacy(): Promise<void> {
    this.imported ??= (async () => {
      for (const [model, records] of readLegacyGateFiles(this.dataDir)) {
        // A store that already has results of this model (another plane imported them) keeps its own.
        if ((await this.table.gateResults(model, 1)).length === 0) {
          for (const r of records) await this.add(r, '');
        }
        markLegacyGateFilesImported(this.dataDir, model);
        this.log?.(`gates: imported ${records.length} result(s) of ${model} from the data dir's files into the store`);
      }
    })().catch((e: unknown) => {
      this.imported = undefined;
      throw e;
    });
    return this.imported;
  }

  private add(r: GateRecord, tenant: string): Promise<void> {
    const seconds = Date.parse(r.time) / 1000;
    return this.table.addGateResult({ model: r.model, tenant, seconds: Number.isFinite(seconds) ? seconds : 0, passed: r.passed, checkpoint: r.checkpoint, doc: r as unknown as Record<string, unknown> });
  }

  /** Appends one result; returns the model's served checkpoint after it (as `tenant` sees it). */
  async record(r: GateRecord, tenant: string): Promise<ServedModel | undefined> {
    await this.importLegacy();
    await this.add(r, tenant);
    return this.served(r.model, tenant);
  }

  /** Results of `model` oldest first, as `tenant` sees them (undefined: all, for an admin). */
  async history(model: string, tenant?: string): Promise<GateRecord[]> {
    await this.importLegacy();
    return (await this.table.gateResults(model)).filter((g) => tenant === undefined || g.tenant === tenant || g.tenant === '').map((g) => g.doc as unknown as GateRecord);
  }

  async served(model: string, tenant?: string): Promise<ServedModel | undefined> {
    return servedOf(model, await this.history(model, tenant));
  }
}
