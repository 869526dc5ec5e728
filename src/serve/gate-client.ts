/**
 * The CLI's side of release-gate results: they live in the control plane's store
 * (src/serve/gate-book.ts), reached over its API (POST /v1/gates, GET /v1/gates/MODEL).
 */
import type { ControlClient } from '../control/client.ts';
import type { GateRecord, ServedModel } from './releases.ts';

export interface GateHistory { readonly served: ServedModel | null; readonly gates: GateRecord[] }

export const recordGate = async (control: ControlClient, rec: GateRecord): Promise<ServedModel | undefined> =>
  (await control.call<{ served: ServedModel | null }>('POST', '/v1/gates', rec)).served ?? undefined;

export const gateHistory = (control: ControlClient, model: string): Promise<GateHistory> =>
  control.call<GateHistory>('GET', `/v1/gates/${encodeURIComponent(model)}`);

export const servedCheckpoint = async (control: ControlClient, model: string): Promise<string | undefined> =>
  (await gateHistory(control, model)).served?.checkpoint;
