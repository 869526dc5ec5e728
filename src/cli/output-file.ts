/**
 * Files that flags name for output (`sim --json FILE`, `--html FILE`): checked before the long
 * work that fills them, so a path that cannot be written is refused at once, naming the flag,
 * not after a long simulation (or with a stack trace).
 */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../lib/errors.ts';

const refuse = (field: string, file: string, why: string) => new InputError({ field, value: file, expected: `a writable file path (${why})` });

/** Throws an InputError naming `field` when `file` could not be written: a missing or read-only folder, a directory. */
export function checkOutputFile(field: string, file: string): void {
  const path = resolve(file);
  let isDir = false;
  let exists = true;
  try { isDir = statSync(path).isDirectory(); } catch { exists = false; }
  if (isDir) throw refuse(field, file, 'it is a directory');
  try { accessSync(exists ? path : dirname(path), constants.W_OK); } catch (e) {
    throw refuse(field, file, `${(e as NodeJS.ErrnoException).code ?? (e as Error).message}${exists ? '' : ` for its folder ${dirname(path)}`}`);
  }
}

/** Writes `text` to `file`; a failure is an InputError naming `field`. */
export function writeOutputFile(field: string, file: string, text: string): void {
  try { writeFileSync(file, text); } catch (e) { throw refuse(field, file, (e as NodeJS.ErrnoException).code ?? (e as Error).message); }
}
