import type { Command } from 'commander';

/** Registers the `plan` commands (placeholder until its issue lands). */
export function register(_program: Command): void {}
