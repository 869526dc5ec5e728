import type { Command } from 'commander';

/** Registers the `slurm` commands (placeholder until its issue lands). */
export function register(_program: Command): void {}
