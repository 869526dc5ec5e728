// Resolves `--rent-pool NAME` (sim and up): a pool of the fleet itself, or the first pool of a
// fleet preset or file that has one (e.g. oci-h100). An unknown name lists the known ones.
import { FLEET_PRESETS, fleetPresetNames } from '../fleet/presets.ts';
import type { FleetSpec, PoolSpec } from '../fleet/types.ts';
import { InputError, UnknownNameError } from '../lib/errors.ts';
import { loadFleet } from './fleet-arg.ts';

export function resolveRentPool(fleet: FleetSpec, name: string): PoolSpec {
  const own = fleet.pools.find((p) => p.name === name);
  if (own) return own;
  const known = [...fleet.pools.map((p) => p.name), ...fleetPresetNames.filter((n) => (FLEET_PRESETS[n]?.pools.length ?? 0) > 0)];
  let other: FleetSpec;
  try { other = loadFleet(name); } catch (e) {
    if (e instanceof UnknownNameError) throw new UnknownNameError('rent pool', name, [...new Set(known)]);
    throw e;
  }
  const pool = other.pools[0];
  if (!pool) throw new InputError({ field: '--rent-pool', value: name, expected: `a fleet preset or file with a rented pool (${[...new Set(known)].join(', ')}), or the name of one of this fleet's pools` });
  return pool;
}
