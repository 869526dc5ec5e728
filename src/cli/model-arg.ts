// Resolves a `--model` argument: a catalog id (catalog/models.ts) or a model YAML file (catalog/model-schema.ts).
import { statSync } from 'node:fs';
import { readInputFile } from '../control/input-file.ts';
import type { ModelArch } from '../catalog/model-arch.ts';
import { parseModelYaml } from '../catalog/model-schema.ts';
import { MODELS, modelIds } from '../catalog/models.ts';
import { InputError, UnknownNameError } from '../lib/errors.ts';

export const MODEL_ARG_HELP = `a catalog model (${modelIds.join(', ')}) or a model YAML file`;

/** Loads a model; throws UnknownNameError (listing the catalog) or InputError (bad or unreadable file). */
export function loadModel(idOrPath: string): ModelArch {
  const known = MODELS[idOrPath];
  if (known !== undefined) return known;
  let isFile = false;
  try { isFile = statSync(idOrPath).isFile(); } catch { isFile = false; }
  if (!isFile) {
    if (/[/\\]|\.ya?ml$/i.test(idOrPath)) throw new InputError({ field: '--model', value: idOrPath, expected: `an existing model YAML file, or ${MODEL_ARG_HELP}` });
    throw new UnknownNameError('model', idOrPath, [...modelIds, '(or a path to a model .yaml file)']);
  }
  return parseModelYaml(readInputFile(idOrPath, '--model', 'model YAML file'), idOrPath);
}
