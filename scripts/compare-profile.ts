// `npm run compare:profile -- FILE [--json]`: a step profile measured on one GPU by scripts/profile-step.py
// against the planner's breakdown of the same model, micro-batch and GPU, part by part.
import { readFileSync } from 'node:fs';
import { compareProfile, parseStepProfile } from '../src/plan/validation/profile.ts';
import { InputError, isUserError } from '../src/lib/errors.ts';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
try {
  if (!file) throw new InputError({ field: 'PROFILE.json', expected: 'the output of scripts/profile-step.py on a GPU: npm run compare:profile -- PROFILE.json [--json]' });
  let json: unknown;
  try { json = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { throw new InputError({ field: 'PROFILE.json', value: file, expected: `a readable JSON file (${(e as Error).message})` }); }
  const profile = parseStepProfile(json);
  const cmp = compareProfile(profile);
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify({ file, device: profile.device, torch: profile.torch, config: profile.config, ...cmp }, null, 2) + '\n');
  } else {
    console.log(`${profile.config.name} on ${profile.device} (planner: ${cmp.gpuId}), torch ${profile.torch}, mbs ${profile.config.mbs} x seq ${profile.config.seq}`);
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
