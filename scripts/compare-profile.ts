// `npm run compare:profile -- FILE [--stack NAME[,key=value...]] [--json]`: a step profile measured on one GPU by scripts/profile-step.py
// against the planner's breakdown of the same model, micro-batch and GPU, part by part.
import { readFileSync } from 'node:fs';
import { compareProfile, parseStepProfile } from '../src/plan/validation/profile.ts';
import { InputError, isUserError } from '../src/lib/errors.ts';
import { DEFAULT_STACK_NAME, parseStack } from '../src/plan/stack.ts';

const args = process.argv.slice(2);
const stackAt = args.indexOf('--stack');
const file = args.find((a, i) => !a.startsWith('--') && (stackAt < 0 || i !== stackAt + 1));
try {
  if (!file) throw new InputError({ field: 'PROFILE.json', expected: 'the output of scripts/profile-step.py on a GPU: npm run compare:profile -- PROFILE.json [--json]' });
  let json: unknown;
  try { json = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { throw new InputError({ field: 'PROFILE.json', value: file, expected: `a readable JSON file (${(e as Error).message})` }); }
  const profile = parseStepProfile(json);
  if (stackAt >= 0 && args[stackAt + 1] === undefined) throw new InputError({ field: '--stack', expected: 'a stack: megatron, fsdp, fsdp-compile, deepspeed or jax, with optional key=value overrides' });
  const cmp = compareProfile(profile, parseStack(stackAt >= 0 ? args[stackAt + 1]! : DEFAULT_STACK_NAME));
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify({ file, device: profile.device, torch: profile.torch, config: profile.config, ...cmp }, null, 2) + '\n');
  } else {
    console.log(`${profile.config.name} on ${profile.device} (planner: ${cmp.gpuId}), torch ${profile.torch}, stack ${cmp.stack}, mbs ${profile.config.mbs} x seq ${profile.config.seq}`);
    console.log(`${'part'.padEnd(44)} ${'measured ms'.padStart(12)} ${'planner ms'.padStart(12)} ${'error'.padStart(8)}`);
    for (const p of cmp.parts) {
      console.log(`${p.part.padEnd(44)} ${(p.measuredSeconds * 1e3).toFixed(2).padStart(12)} ${(p.predictedSeconds * 1e3).toFixed(2).padStart(12)} ${`${p.errorPct >= 0 ? '+' : ''}${p.errorPct.toFixed(1)}%`.padStart(8)}`);
    }
    for (const n of profile.notes) console.log(`note: ${n}`);
  }
} catch (e) {
  if (!isUserError(e)) throw e;
  console.error((e as Error).message);
  process.exitCode = 2;
}
