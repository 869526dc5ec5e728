// `npm run mutate -- PATH --survivors`: re-tests only the mutants that survived the last full run
// (reports/mutation/<name>.json) against the tests as they are now, one at a time: each mutant is
// written into the source file, the tests run (scripts/mutate-tests.mjs), and the file is put back.
// Minutes instead of a full run while tests are being added; the score it prints counts the
// mutants the report had killed as still killed, which holds while only tests change (it stops
// when a mutated file differs from the report's copy). A full run gives the score to record.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const NOT_VALID = new Set(['CompileError', 'RuntimeError', 'Ignored']);

/** Returns the exit code: 0 when done, 2 when the report is missing or a source changed since. */
export function recheckSurvivors(reportPath, testCommand, tests, write = (s) => process.stdout.write(s)) {
  let report;
  try { report = JSON.parse(readFileSync(reportPath, 'utf8')); } catch {
    write(`no report at ${reportPath}: run \`npm run mutate -- PATH\` once without --survivors\n`);
    return 2;
  }
  let valid = 0; let killedBefore = 0; let killedNow = 0;
  for (const [file, f] of Object.entries(report.files)) {
    for (const m of f.mutants) if (!NOT_VALID.has(m.status)) { valid++; if (m.status === 'Killed' || m.status === 'Timeout') killedBefore++; }
    const source = readFileSync(file, 'utf8');
    if (source !== f.source) { write(`${file} changed since ${reportPath}: its mutants no longer apply; run without --survivors\n`); return 2; }
    const lineStart = [0];
    for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStart.push(i + 1);
    const offset = (p) => lineStart[p.line - 1] + p.column - 1;
    try {
      for (const m of f.mutants) {
        if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
        const a = offset(m.location.start); const b = offset(m.location.end);
        writeFileSync(file, source.slice(0, a) + m.replacement + source.slice(b));
        const run = spawnSync(`${testCommand} ${tests.join(' ')}`, { shell: true, stdio: 'ignore', timeout: 120_000 });
        const killed = run.status !== 0;
        if (killed) killedNow++;
        write(`${killed ? 'killed  ' : 'SURVIVED'} ${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}: ${source.slice(a, b).slice(0, 80)} -> ${m.replacement.slice(0, 80)}\n`);
      }
    } finally {
      writeFileSync(file, source);
    }
  }
  const pct = (k) => (valid === 0 ? 'n/a' : `${((100 * k) / valid).toFixed(1)}%`);
  write(`survivors re-tested: score ${pct(killedBefore)} (${killedBefore}/${valid}) in the report, ${pct(killedBefore + killedNow)} (${killedBefore + killedNow}/${valid}) with the tests as they are now\n`);
  return 0;
}
