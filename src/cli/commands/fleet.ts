import type { Command } from 'commander';

/** Registers the `fleet` commands (placeholder until its issue lands). */
export function register(_program: Command): void {}
