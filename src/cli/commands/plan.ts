import type { Command } from 'commander';
import { register as registerTrain } from './plan-train.ts';
import { register as registerServe } from './plan-serve.ts';
import { register as registerFleet } from './plan-fleet.ts';

/** `gigafactory plan train|serve|fleet`. */
export function register(program: Command): void {
  const plan = program.command('plan').description('Analytical planning: time and cost to train a model or serve it');
  registerTrain(plan);
  registerServe(plan);
  registerFleet(plan);
}
