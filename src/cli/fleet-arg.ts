// Resolves a `FLEET` argument: a preset name, `local` (this machine, detected), or a YAML file.
import { statSync } from 'node:fs';
import { readInputFile } from '../control/input-file.ts';
import { detectHost } from '../control/host.ts';
import { localFleet } from '../fleet/local.ts';
import { FLEET_PRESETS, fleetPresetNames } from '../fleet/presets.ts';
import { parseFleetYaml } from '../fleet/parse.ts';
import type { FleetSpec } from '../fleet/types.ts';
import { InputError, UnknownNameError } from '../lib/errors.ts';

export const FLEET_ARG_HELP = `a preset (${[...fleetPresetNames, 'local'].join(', ')}) or a fleet YAML file`;

const looksLikeFile = (s: string) => /[/\\]|\.ya?ml$/i.test(s);

/** Loads a fleet; throws UnknownNameError for an unknown preset, InputError for a bad or unreadable file. */
export function loadFleet(nameOrPath: string): FleetSpec {
  const preset = FLEET_PRESETS[nameOrPath];
  if (preset !== undefined) return preset;
  if (nameOrPath === 'local') return localFleet(detectHost());
  let isFile = false;
  try { isFile = statSync(nameOrPath).isFile(); } catch { isFile = false; }
  if (!isFile) {
    if (looksLikeFile(nameOrPath)) throw new InputError({ field: 'FLEET', value: nameOrPath, expected: `an existing fleet YAML file, or ${FLEET_ARG_HELP}` });
    throw new UnknownNameError('fleet preset', nameOrPath, [...fleetPresetNames, 'local', '(or a path to a fleet .yaml file)']);
  }
  return parseFleetYaml(readInputFile(nameOrPath, 'FLEET', 'fleet YAML file'), nameOrPath);
}
