/**
 * Runs a release gate: the evaluation (a control-plane `eval` job, or a local process), then
 * the decision, then the record. The evaluation command has placeholders {checkpoint},
 * {spec} (a JSON file: held_out_text, prompts, max_answer_chars) and {out} (scores JSON).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlClient } from '../control/client.ts';
import { checkpointDirOf } from '../control/layout.ts';
import { ImpossibleError } from '../lib/errors.ts';
import { decideGate, withSuiteScores, type EvalScores, type GateSpec } from './gate.ts';
import { answersFromEndpoint } from './eval-endpoint.ts';
import { suitePrompts } from './eval-suites.ts';
import type { GateRecord } from './releases.ts';

export const TINY_CHAT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/tiny-chat');
/** Debian's python3 (python3-torch); a pyenv shim on PATH may lack torch. */
export const DEFAULT_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const DEFAULT_EVAL_COMMAND = [DEFAULT_PYTHON, join(TINY_CHAT_DIR, 'server.py'), '{checkpoint}', '--eval', '{spec}', '--out', '{out}'];

export interface GateRunOptions {
  readonly spec: GateSpec;
  readonly checkpoint: string;
  /** Keeps the result (the control plane's store: POST /v1/gates); runs before anything is deleted. */
  readonly record: (rec: GateRecord) => Promise<void>;
  /** Where the eval spec and scores files go. */
  readonly workDir: string;
  readonly evalCommand?: readonly string[];
  /** Submit the evaluation as an `eval` job to this control plane (else run it here). */
  readonly control?: ControlClient;
  /** With `control`: the plane's data dir, where the eval job's own directory (and its scores) lie. */
  readonly dataDir?: string;
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
  /** Where the evaluated copy of the checkpoint is kept (what gets served if it passes). */
  readonly snapshotDir: string;
  /** Ask this OpenAI-compatible server (serving the checkpoint) instead of running an eval command. */
  readonly endpoint?: { readonly url: string; readonly apiKey?: string };
}

const fill = (cmd: readonly string[], vars: Record<string, string>) => cmd.map((w) => w.replace(/\{(checkpoint|spec|out)\}/g, (_, k: string) => vars[k]!));

function runLocal(command: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); fail(new ImpossibleError(`evaluation could not start: ${e.message}`, 'check --eval-command / --python')); });
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) ok();
      else fail(new ImpossibleError(`evaluation exited ${code}: ${err.trim().split('\n').pop() ?? ''}`, 'is the checkpoint path right, and python3-torch installed?'));
    });
  });
}

interface JobView { job: { id: string; tenant: string; state: string; reason: string | null; spec: { checkpoint_dir?: string; workdir?: string } } }

/**
 * An eval job writes its scores into its own checkpoint dir ($GF_CHECKPOINT_DIR, which its rank
 * creates): a plane run as root runs the job as the tenant's Unix user, who may write there
 * but not under the plane's serving/ folder. {out} becomes that path, through a shell.
 */
const JOB_SCORES_FILE = 'eval-scores.json';
const shellWord = (w: string) => `'${w.replace(/'/g, "'\\''")}'`;
function evalJobCommand(command: readonly string[], vars: { checkpoint: string; spec: string }): string[] {
  const OUT = '\u0000out\u0000';
  const words = fill(command, { ...vars, out: OUT }).map((w) => w.split(OUT).map(shellWord).join(`"$GF_CHECKPOINT_DIR"/${JOB_SCORES_FILE}`));
  return ['/bin/sh', '-c', `exec ${words.join(' ')}`];
}

async function runJob(control: ControlClient, command: readonly string[], name: string, timeoutMs: number, log?: (l: string) => void): Promise<JobView['job']> {
  const { job } = await control.call<JobView>('POST', '/v1/jobs', { name, kind: 'eval', command, workdir: TINY_CHAT_DIR, max_restarts: 0, env: { PYTHONUNBUFFERED: '1' } });
  log?.(`eval job ${job.id} submitted`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { job: j } = await control.call<JobView>('GET', `/v1/jobs/${job.id}`);
    if (j.state === 'succeeded') return j;
    if (j.state === 'failed' || j.state === 'cancelled') throw new ImpossibleError(`eval job ${j.id} ${j.state}: ${j.reason ?? ''}`, `see its log: gigafactory logs ${j.id}`);
    if (Date.now() > deadline) throw new ImpossibleError(`eval job ${j.id} still ${j.state} after ${timeoutMs / 1000} s`, 'is the cluster busy? see gigafactory jobs');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Evaluates `checkpoint`, decides against the spec's thresholds, records the result (promoting on a pass). */
export async function runGate(o: GateRunOptions): Promise<GateRecord> {
  const source = resolve(o.checkpoint);
  if (!existsSync(source)) throw new ImpossibleError(`no checkpoint at ${source}`, 'pass the checkpoint dir of a finished training job (gigafactory job ID shows it)');
  mkdirSync(o.workDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  // Evaluate and serve an immutable copy: the training job may keep writing to its own dir.
  const checkpoint = join(o.snapshotDir, stamp);
  cpSync(source, checkpoint, { recursive: true });
  const specPath = join(o.workDir, `eval-${stamp}.json`);
  const outPath = join(o.workDir, `scores-${stamp}.json`);
  const asked = suitePrompts(o.spec.suites);
  const timeoutMs = o.timeoutMs ?? 10 * 60_000;
  let scores: EvalScores;
  let evalJobId: string | undefined;
  if (o.endpoint) {
    const answers = await answersFromEndpoint({ url: o.endpoint.url, model: o.spec.model, maxTokens: o.spec.max_answer_chars, ...(o.endpoint.apiKey ? { apiKey: o.endpoint.apiKey } : {}) }, [...new Set([...o.spec.prompts.map((p) => p.prompt), ...asked])]);
    scores = { answers };
  } else {
    // suite_prompts: the eval command answers them greedily into `answers`; the gate scores them.
    writeFileSync(specPath, JSON.stringify({ held_out_text: o.spec.heldOutText, prompts: o.spec.prompts, suite_prompts: asked, max_answer_chars: o.spec.max_answer_chars }));
    const command = o.evalCommand ?? DEFAULT_EVAL_COMMAND;
    let scoresPath = outPath;
    if (o.control) {
      if (o.dataDir === undefined) throw new Error('runGate: an eval job needs the plane\'s dataDir');
      const job = await runJob(o.control, evalJobCommand(command, { checkpoint, spec: specPath }), `eval.${o.spec.model}`, timeoutMs, o.log);
      evalJobId = job.id;
      scoresPath = join(checkpointDirOf(o.dataDir, job), JOB_SCORES_FILE);
    } else {
      await runLocal(fill(command, { checkpoint, spec: specPath, out: outPath }), timeoutMs);
    }
    try { scores = JSON.parse(readFileSync(scoresPath, 'utf8')) as EvalScores; } catch (e) {
      throw new ImpossibleError(`the evaluation wrote no readable scores at ${scoresPath} (${(e as Error).message})`, 'the eval command must write JSON scores to {out}');
    }
  }
  scores = withSuiteScores(o.spec, scores);
  const decision = decideGate(o.spec, scores);
  const rec: GateRecord = { model: o.spec.model, checkpoint: decision.passed ? checkpoint : source, source, time: new Date().toISOString(), passed: decision.passed, decision, scores, ...(evalJobId ? { evalJobId } : {}), ...(o.spec.suites.length > 0 ? { suites: o.spec.suites } : {}) };
  try { await o.record(rec); } finally {
    if (!decision.passed) rmSync(checkpoint, { recursive: true, force: true });
  }
  return rec;
}
