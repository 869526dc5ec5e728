/**
 * Reads a file a user named (job, fleet, model, workload mix, gate): it must be a regular file
 * no larger than `maxBytes` (checked before reading, so /dev/zero or a 10 GB file is refused at
 * once). Errors name the argument, the path and what is accepted.
 */
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../lib/errors.ts';
import { MAX_YAML_BYTES } from '../lib/yaml.ts';

/** `what` names the kind of file without an article: 'fleet YAML file'. */
export function readInputFile(path: string, field: string, what: string, maxBytes = MAX_YAML_BYTES): string {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputError({ field, value: path, expected: `a ${what} (a regular file, not a directory or device)` });
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError({ field, value: path, expected: `a readable ${what} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})` });
  }
  if (size > maxBytes) throw new InputError({ field, value: `${path} (${size} bytes)`, expected: `a ${what} of at most ${maxBytes} bytes` });
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError({ field, value: path, expected: `a readable ${what} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})` });
  }
}
