import type { Command } from 'commander';

/** Registers `plan serve` (placeholder until its issue lands). */
export function register(_plan: Command): void {}
