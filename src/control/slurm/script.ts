/**
 * One attempt of a job as an sbatch script: the gang's shape (--nodes, --ntasks-per-node,
 * --gres=gpu:N, --nodelist when Gigafactory placed it) and one `srun` that starts every rank
 * with the same environment contract as the local executor (torchrun's MASTER_ADDR,
 * MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK, plus GF_*).
 * Per-rank logs and exit files land in the attempt's log directory (a shared file system on
 * a real cluster), so ranks' output and exit codes can be read back and followed.
 */
import { join } from 'node:path';
import type { LaunchSpec } from '../executor.ts';
import { WRITE_EXIT_SH } from '../exit-files.ts';
import { compressHostlist } from './hostlist.ts';

export interface ScriptOptions {
  readonly partition?: string;
  /** Ignore the scheduler's node names and let Slurm place the job. */
  readonly slurmPlaces?: boolean;
  /** More `#SBATCH` options for every job (e.g. `--account=ml`, `--qos=high`, `--time=60`). */
  readonly extraSbatchArgs?: readonly string[];
  /** The plane's id: in the job comment (`gf:<plane>:<job>:<attempt>`) and GF_PLANE_ID. */
  readonly planeId?: string;
}

/** The Slurm job comment that marks an attempt as this plane's. */
export const slurmComment = (jobId: string, attempt: number, planeId?: string): string => (planeId === undefined ? `gf:${jobId}:${attempt}` : `gf:${planeId}:${jobId}:${attempt}`);

/** Single-quotes a word for bash. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Slurm job name for an attempt: `gf-<jobId>-a<attempt>`, restricted to safe characters. */
export const slurmJobName = (jobId: string, attempt: number): string => `gf-${jobId.replace(/[^A-Za-z0-9._-]/g, '_')}-a${attempt}`;

export { rankExitFile, rankHeartbeatFile, rankLogFile } from '../layout.ts';

// Runs inside every task: derive the rank variables from Slurm's, run the command, record its exit.
const RANK_WRAPPER = [
  'export RANK=$SLURM_PROCID LOCAL_RANK=$SLURM_LOCALID NODE_RANK=$SLURM_NODEID GF_NODE_NAME=$SLURMD_NODENAME',
  'export GF_EXIT_FILE="$GF_LOG_DIR/rank-$RANK.exit" GF_HEARTBEAT_FILE="$GF_LOG_DIR/rank-$RANK.heartbeat"',
  `"$@"; code=$?; ${WRITE_EXIT_SH}; exit "$code"`,
].join('; ');

export function renderSbatchScript(spec: LaunchSpec, o: ScriptOptions = {}): string {
  const worldSize = spec.nodes * spec.ranksPerNode;
  const directives = [
    `--job-name=${slurmJobName(spec.jobId, spec.attempt)}`,
    `--comment=${slurmComment(spec.jobId, spec.attempt, o.planeId)}`,
    `--nodes=${spec.nodes}`,
    `--ntasks-per-node=${spec.ranksPerNode}`,
    ...(spec.gpusPerNode > 0 ? [`--gres=gpu:${spec.gpusPerNode}`] : []),
    ...(o.slurmPlaces !== true && spec.nodeNames.length > 0 ? [`--nodelist=${compressHostlist(spec.nodeNames.slice(0, spec.nodes))}`] : []),
    ...(o.partition !== undefined ? [`--partition=${o.partition}`] : []),
    `--chdir=${spec.workdir}`,
    `--output=${join(spec.logDir, 'slurm-%j.out')}`,
    // Gigafactory requeues from the job's checkpoint itself (new attempt, new log dir).
    '--no-requeue',
    ...(o.extraSbatchArgs ?? []),
  ];
  const env: Record<string, string> = {
    ...spec.env,
    ...(o.planeId !== undefined ? { GF_PLANE_ID: o.planeId } : {}), ...(spec.tenant !== undefined ? { GF_TENANT: spec.tenant } : {}),
    GF_JOB_ID: spec.jobId, GF_ATTEMPT: String(spec.attempt), GF_CHECKPOINT_DIR: spec.checkpointDir, GF_LOG_DIR: spec.logDir,
    WORLD_SIZE: String(worldSize), LOCAL_WORLD_SIZE: String(spec.ranksPerNode),
  };
  const lines = [
    '#!/bin/bash',
    `# Gigafactory job ${spec.jobId}, attempt ${spec.attempt} (${spec.name}): ${spec.nodes} node(s) x ${spec.ranksPerNode} rank(s), ${spec.gpusPerNode} GPU(s) per node.`,
    ...directives.map((d) => `#SBATCH ${d}`),
    ...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    // The batch script runs on the gang's first node: rank 0's host is the rendezvous.
    'export MASTER_ADDR=$(hostname) MASTER_PORT=$((10000 + SLURM_JOB_ID % 10000))',
    // --kill-on-bad-exit: one rank failing ends the gang, as with the local executor.
    `srun --kill-on-bad-exit=1 --output=${shellQuote(join(spec.logDir, 'rank-%t.log'))} bash -c ${shellQuote(RANK_WRAPPER)} gf-rank ${spec.command.map(shellQuote).join(' ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
