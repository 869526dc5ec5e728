import { InputError } from '../lib/errors.ts';
import type { RejectedJob, Workload, WorkloadJob } from './types.ts';

/**
 * Adapters from published GPU-cluster job traces (shared/data/traces) to workload jobs. Each
 * maps a row to arrival, GPUs, duration and (where the trace has it) status. Pure: text in.
 * Jobs get whole nodes of the fleet's size G (node-exclusive, as large training clusters allocate); a
 * job of g GPUs takes ceil(g / G) nodes with ceil(g / nodes) GPUs each. Trace durations become the work
 * and the runtime estimate (an exact estimate: the trace is the oracle).
 */
export interface TraceAdapter {
  readonly name: string;
  readonly description: string;
  /** Does this header belong to the format? */
  matches(header: readonly string[]): boolean;
  /** One row to a job, or a reason it is malformed. `arrivalSeconds` may be absolute; see `relative`. */
  row(cells: readonly string[], header: readonly string[]): { arrivalSeconds: number; gpus: number; durationSeconds: number; tenant: string; status?: string } | string;
}

const num = (v: string | undefined): number => (v === undefined || v.trim() === '' ? NaN : Number(v));
const col = (header: readonly string[], cells: readonly string[], name: string): string | undefined => cells[header.indexOf(name)];

/** Pollux's flattening of Microsoft Philly (timestamp, duration, num_gpus, gpu_time, cluster). */
export const PHILLY_POLLUX: TraceAdapter = {
  name: 'philly',
  description: 'Microsoft Philly via Pollux: timestamp,duration,num_gpus,gpu_time,cluster',
  matches: (h) => ['timestamp', 'duration', 'num_gpus'].every((c) => h.includes(c)),
  row(cells, h) {
    const ts = col(h, cells, 'timestamp') ?? '';
    const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(ts.trim());
    if (!m) return `timestamp ${JSON.stringify(ts)} is not YYYY-MM-DD HH:MM:SS`;
    const [, y, mo, d, hh, mi, ss] = m.map(Number) as [number, number, number, number, number, number, number];
    // Days from civil (proleptic Gregorian), so no Date object is needed in this pure layer.
    const arrivalSeconds = daysFromCivil(y, mo, d) * 86_400 + hh * 3600 + mi * 60 + ss;
    return finish(arrivalSeconds, num(col(h, cells, 'num_gpus')), num(col(h, cells, 'duration')), `vc-${col(h, cells, 'cluster') ?? 'unknown'}`);
  },
};

/** RFold's flattening of Philly: #job id, arrival time (sec), topology, shape, size, duration (sec). */
export const PHILLY_RFOLD: TraceAdapter = {
  name: 'philly-rfold',
  description: 'Microsoft Philly via RFold: #job id,arrival time (sec),topology,shape,size,duration (sec)',
  matches: (h) => h.includes('arrival time (sec)') && h.includes('size') && h.includes('duration (sec)'),
  row: (cells, h) => finish(num(col(h, cells, 'arrival time (sec)')), num(col(h, cells, 'size')), num(col(h, cells, 'duration (sec)')), 'philly'),
};

/** AcmeTrace Kalos as converted by hyunnnchoi (arrival_time, gpu_workers x gpu_per_worker, num_iteration x 0.5 s). */
export const ACME_KALOS: TraceAdapter = {
  name: 'acme-kalos',
  description: 'Shanghai AI Lab Acme/Kalos (converted): arrival_time,num_iteration,gpu_workers,gpu_per_worker',
  matches: (h) => ['arrival_time', 'num_iteration', 'gpu_workers', 'gpu_per_worker'].every((c) => h.includes(c)),
  row(cells, h) {
    const workers = num(col(h, cells, 'gpu_workers'));
    const perWorker = num(col(h, cells, 'gpu_per_worker'));
    // The converter set duration = num_iteration x 0.5 s (acme/README.md).
    return finish(num(col(h, cells, 'arrival_time')), workers * perWorker, num(col(h, cells, 'num_iteration')) * 0.5, 'kalos', 'completed');
  },
};

export const TRACE_ADAPTERS: readonly TraceAdapter[] = [PHILLY_POLLUX, PHILLY_RFOLD, ACME_KALOS];

function finish(arrivalSeconds: number, gpus: number, durationSeconds: number, tenant: string, status?: string) {
  if (!Number.isFinite(arrivalSeconds) || arrivalSeconds < 0) return `arrival ${arrivalSeconds} is not a time >= 0`;
  if (!Number.isInteger(gpus) || gpus < 1) return `GPUs ${gpus} is not a whole number >= 1`;
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) return `duration ${durationSeconds} is not a time > 0 seconds`;
  return { arrivalSeconds, gpus, durationSeconds, tenant, ...(status !== undefined ? { status } : {}) };
}

function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Reads a trace: detects the format from the header; bad rows are skipped (listed) or fatal. */
export function parseTrace(text: string, fileName: string, onBadRow: 'skip' | 'fail', gpusPerNode: number): Workload {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').replace(/^#/, '').split(',').map((s) => s.trim());
  const adapter = TRACE_ADAPTERS.find((a) => a.matches(header));
  if (!adapter) {
    throw new InputError({ field: 'header', line: 1, value: lines[0] ?? '', expected: `a trace header of one of: ${TRACE_ADAPTERS.map((a) => a.description).join('; ')}` }, fileName);
  }
  const rows: { line: number; r: Exclude<ReturnType<TraceAdapter['row']>, string> }[] = [];
  const rejected: RejectedJob[] = [];
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.trim() === '') continue;
    const cells = text.split(',');
    const r = cells.length < header.length ? `${cells.length} columns; the header has ${header.length}` : adapter.row(cells, header);
    if (typeof r === 'string') {
      if (onBadRow === 'fail') throw new InputError({ field: `row`, line: i + 1, value: text.slice(0, 80), expected: `${r} (or pass --bad-rows skip)` }, fileName);
      rejected.push({ id: `${fileName}:${i + 1}`, reason: r });
      continue;
    }
    rows.push({ line: i + 1, r });
  }
  const t0 = rows.reduce((a, x) => Math.min(a, x.r.arrivalSeconds), Infinity);
  const jobs: WorkloadJob[] = rows.map(({ line, r }) => {
    const nodes = Math.ceil(r.gpus / gpusPerNode);
    return {
      id: `${adapter.name}-${line}`, tenant: r.tenant, priority: 10, kind: 'train', nodes, gpusPerNode: Math.ceil(r.gpus / nodes),
      submitSeconds: r.arrivalSeconds - t0, workSeconds: r.durationSeconds, estimatedRuntimeSeconds: r.durationSeconds,
      preemptible: true, checkpoints: true, recovery: 'gang', ...(r.status !== undefined ? { traceStatus: r.status } : {}),
    };
  });
  return { name: `${adapter.name}:${fileName}`, jobs, services: [], rejected, quotas: [] };
}
