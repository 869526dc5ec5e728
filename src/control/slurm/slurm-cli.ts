/**
 * Slurm's client commands (sbatch, squeue, sinfo, scancel, scontrol) run as child processes with
 * SLURM_CONF set, their JSON output (`--json`, OpenAPI v0.0.38 in Slurm 22.05+) parsed into
 * small typed records. Missing binaries and an unreachable controller become user errors that
 * say what to install or start.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ImpossibleError } from '../../lib/errors.ts';

const INSTALL_HINT = 'install Slurm and munge (Debian: apt-get install -y slurm-wlm munge) or put Slurm\'s bin directory on PATH';

/** Absolute path of a Slurm binary on PATH or in /usr/sbin (daemons), or undefined. */
export function findSlurmBinary(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':').filter((d) => d !== ''), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) if (existsSync(join(d, name))) return join(d, name);
  return undefined;
}

/** Slurm is not installed, or its controller (or munge) cannot be reached. */
export class SlurmUnavailableError extends ImpossibleError {
  constructor(message: string, hint: string) {
    super(message, hint);
    this.name = 'SlurmUnavailableError';
  }
}

/** Slurm refused a request (sbatch rejection); `slurmMessage` is Slurm's own text. */
export class SlurmRejectedError extends ImpossibleError {
  readonly slurmMessage: string;
  constructor(command: string, slurmMessage: string) {
    super(`${command} rejected by Slurm: ${slurmMessage}`, 'fix the job\'s nodes, GPUs or node list so the cluster can hold it (sinfo -N shows its nodes)');
    this.name = 'SlurmRejectedError';
    this.slurmMessage = slurmMessage;
  }
}

/** One job as `squeue --json` reports it (the fields the executor needs). */
export interface SlurmJob {
  readonly jobId: string;
  readonly name: string;
  readonly state: string;
  readonly stateReason: string;
  /** Process exit code (high byte of the wait status) and the terminating signal (low bits). */
  readonly exitCode: number;
  readonly exitSignal: number;
  readonly nodes: string;
  readonly comment: string;
  readonly submitSeconds: number;
  readonly startSeconds: number;
  readonly endSeconds: number;
}

export interface SlurmNode {
  readonly name: string;
  /** Base state, lower case: idle, mixed, allocated, down, drained, unknown, ... */
  readonly state: string;
  readonly flags: readonly string[];
  readonly reason: string;
  /** Configured GRES, e.g. `gpu:h100:8`. */
  readonly gres: string;
  readonly partitions: readonly string[];
  /** Slurm's node Weight (lowest allocated first; `slurm config` gives rented nodes more). */
  readonly weight: number;
}

export interface SlurmCliOptions {
  /** SLURM_CONF for every command (absent: Slurm's default /etc/slurm/slurm.conf). */
  readonly confPath?: string;
  readonly timeoutMs?: number;
}

export interface CliResult { readonly stdout: string; readonly stderr: string; readonly code: number }

const UNREACHABLE = /Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted|Munge encode failed|Invalid authentication credential|auth_g_create|Unable to establish controller machine/i;

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'object' && v !== null && 'number' in v ? Number((v as { number: unknown }).number) : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Who runs a client command: `env` replaces the plane's environment (sbatch passes the
 * submitter's environment on to the job); `uid`/`gid` submit as a tenant's user (root only).
 */
export interface RunAsOptions { readonly env?: NodeJS.ProcessEnv; readonly uid?: number; readonly gid?: number }

export class SlurmCli {
  readonly confPath: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: SlurmCliOptions = {}) {
    this.confPath = options.confPath;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Runs one Slurm command; resolves with its exit code (non-zero is not an exception). */
  run(command: string, args: readonly string[], as?: RunAsOptions): Promise<CliResult> {
    const bin = findSlurmBinary(command);
    if (bin === undefined) return Promise.reject(new SlurmUnavailableError(`Slurm command "${command}" not found`, INSTALL_HINT));
    // Slurm's clients retry a missing slurm.conf for 60 s; fail at once instead.
    if (this.confPath !== undefined && !existsSync(this.confPath)) {
      return Promise.reject(new SlurmUnavailableError(`Slurm configuration ${this.confPath} not found`,
        'point SLURM_CONF (or --slurm-conf) at the cluster\'s slurm.conf; for a cluster on this machine: gigafactory slurm up FLEET --dir DIR'));
    }
    const env = { ...(as?.env ?? process.env), ...(this.confPath !== undefined ? { SLURM_CONF: this.confPath } : {}) };
    return new Promise((resolve, reject) => {
      execFile(bin, [...args], { env, timeout: this.timeoutMs, maxBuffer: 512 * 1024 * 1024, ...(as?.uid !== undefined ? { uid: as.uid, gid: as.gid, cwd: '/' } : {}) }, (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') {
          reject(new SlurmUnavailableError(`${command} did not finish: ${err.message}`, 'check that slurmctld is running and answering (scontrol ping)'));
          return;
        }
        const code = err === null ? 0 : Number(err.code);
        if (code !== 0 && UNREACHABLE.test(stderr)) {
          reject(new SlurmUnavailableError(`Slurm controller unreachable (${this.confPath ?? 'default slurm.conf'}): ${stderr.trim().split('\n')[0]}`,
            'start munged and slurmctld (scripts/slurm-cluster.sh up DIR for a cluster on this machine) or set SLURM_CONF to your cluster\'s slurm.conf'));
          return;
        }
        if (code !== 0 && /Could not establish a configuration source|Unable to process configuration file|Can't open .*slurm\.conf/i.test(stderr)) {
          reject(new SlurmUnavailableError(`no usable Slurm configuration (${this.confPath ?? 'SLURM_CONF unset'}): ${cleanMessage(stderr).split('; ').pop() ?? ''}`,
            'set SLURM_CONF (or --slurm-conf) to the cluster\'s slurm.conf; for a cluster on this machine: gigafactory slurm up FLEET --dir DIR'));
          return;
        }
        resolve({ stdout, stderr, code });
      });
    });
  }

  /** Submits a batch script file; resolves with Slurm's job id or rejects with Slurm's message. */
  async sbatch(scriptPath: string, extraArgs: readonly string[] = [], as?: RunAsOptions): Promise<string> {
    const r = await this.run('sbatch', ['--parsable', ...extraArgs, scriptPath], as);
    const id = r.stdout.trim().split(';')[0] ?? '';
    if (r.code !== 0 || !/^\d+$/.test(id)) throw new SlurmRejectedError('sbatch', cleanMessage(r.stderr) || `exit ${r.code}`);
    return id;
  }

  async scancel(jobIds: readonly string[], signal?: string): Promise<void> {
    if (jobIds.length === 0) return;
    await this.run('scancel', [...(signal !== undefined ? [`--signal=${signal}`, '--full'] : []), ...jobIds]);
  }

  /** Every job slurmctld still remembers (pending, running and finished within MinJobAge). */
  async jobs(): Promise<SlurmJob[]> {
    const r = await this.run('squeue', ['--json']);
    if (r.code !== 0) throw new SlurmUnavailableError(`squeue failed: ${cleanMessage(r.stderr)}`, 'check slurmctld (scontrol ping)');
    const doc = parseJson(r.stdout, 'squeue') as { jobs?: Record<string, unknown>[] };
    return (doc.jobs ?? []).map((j) => {
      const status = num(j['exit_code']);
      return {
        jobId: String(num(j['job_id'])), name: str(j['name']), state: str(j['job_state']), stateReason: str(j['state_reason']),
        exitCode: (status >> 8) & 0xff, exitSignal: status & 0x7f, nodes: str(j['nodes']), comment: str(j['comment']),
        submitSeconds: num(j['submit_time']), startSeconds: num(j['start_time']), endSeconds: num(j['end_time']),
      };
    });
  }

  async nodes(): Promise<SlurmNode[]> {
    const r = await this.run('sinfo', ['--json']);
    if (r.code !== 0) throw new SlurmUnavailableError(`sinfo failed: ${cleanMessage(r.stderr)}`, 'check slurmctld (scontrol ping)');
    const doc = parseJson(r.stdout, 'sinfo') as { nodes?: Record<string, unknown>[] };
    return (doc.nodes ?? []).map((n) => ({
      name: str(n['name']), state: str(n['state']).toLowerCase(),
      flags: Array.isArray(n['state_flags']) ? (n['state_flags'] as unknown[]).map(String) : [], reason: str(n['reason']),
      gres: str(n['gres']), partitions: Array.isArray(n['partitions']) ? (n['partitions'] as unknown[]).map(String) : [],
      weight: typeof n['weight'] === 'number' ? n['weight'] : 1,
    }));
  }

  /** `scontrol show topology` text (empty without topology/tree). */
  async topology(): Promise<string> {
    const r = await this.run('scontrol', ['show', 'topology']);
    return r.code === 0 ? r.stdout : '';
  }

  /** Rejects with SlurmUnavailableError unless slurmctld answers. */
  async ping(): Promise<void> {
    const r = await this.run('scontrol', ['ping']);
    if (r.code !== 0 || !/\bUP\b/.test(r.stdout)) {
      throw new SlurmUnavailableError(`slurmctld not answering (${this.confPath ?? 'default slurm.conf'}): ${(r.stdout + r.stderr).trim().split('\n')[0]}`,
        'start munged and slurmctld (scripts/slurm-cluster.sh up DIR for a cluster on this machine) or set SLURM_CONF to your cluster\'s slurm.conf');
    }
  }
}

/**
 * Parses `--json` output. Slurm 22.05 exits 0 with an empty list and an `errors` array when
 * the controller is unreachable: that must not read as "no jobs" (the executor would think
 * every job vanished), so it becomes SlurmUnavailableError.
 */
function parseJson(stdout: string, command: string): unknown {
  let doc: { errors?: { description?: string; error?: string }[] };
  try { doc = JSON.parse(stdout) as typeof doc; } catch {
    throw new SlurmUnavailableError(`${command} --json printed no JSON: ${stdout.slice(0, 200)}`, 'this needs Slurm 22.05 or newer with its JSON (openapi) plugins');
  }
  const errors = doc.errors ?? [];
  if (errors.length > 0) {
    const e = errors[0]!;
    throw new SlurmUnavailableError(`Slurm controller unreachable (${command}: ${e.description ?? ''}: ${e.error ?? ''})`,
      'start munged and slurmctld (scripts/slurm-cluster.sh up DIR for a cluster on this machine) or set SLURM_CONF to your cluster\'s slurm.conf');
  }
  return doc;
}

/** Slurm's message without the `sbatch: error:` prefixes. */
export function cleanMessage(stderr: string): string {
  return stderr.split('\n').map((l) => l.replace(/^\w+: error: /, '').trim()).filter((l) => l !== '').join('; ');
}
