/**
 * Errors a user can fix: bad input, unknown names, impossible requests. Edges print
 * `message` (and each issue) and exit 2 / answer 4xx; they never print a stack trace.
 * Anything else thrown is a bug.
 */
import { describeValue } from './describe.ts';

export interface InputIssue {
  /** Where the bad value is: a YAML path (`halls[0].nodes`), a flag (`--gpus`), a JSON field. */
  readonly field: string;
  /** The offending value, as the user wrote it (undefined when missing). */
  readonly value?: unknown;
  /** What would be accepted, or how to fix it. */
  readonly expected: string;
  /** 1-based line in the input file, when known. */
  readonly line?: number;
}

export function formatIssue(i: InputIssue, file?: string): string {
  const where = file !== undefined ? `${file}${i.line !== undefined ? `:${i.line}` : ''}: ` : i.line !== undefined ? `line ${i.line}: ` : '';
  const got = i.value === undefined ? 'missing' : `got ${describeValue(i.value)}`;
  return `${where}${i.field}: ${got}; expected ${i.expected}`;
}

export class InputError extends Error {
  readonly issues: readonly InputIssue[];
  readonly file?: string;
  constructor(issues: readonly InputIssue[] | InputIssue, file?: string) {
    const list = Array.isArray(issues) ? issues : [issues as InputIssue];
    super(list.map((i) => formatIssue(i, file)).join('\n'));
    this.name = 'InputError';
    this.issues = list;
    if (file !== undefined) this.file = file;
  }
}

/** A request that is well-formed but cannot be satisfied (nothing fits memory, job larger than fleet). */
export class ImpossibleError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(`${message}\n  hint: ${hint}`);
    this.name = 'ImpossibleError';
    this.hint = hint;
  }
}

/** A name not in a catalog; lists the known names. */
export class UnknownNameError extends Error {
  readonly kind: string;
  readonly value: string;
  readonly known: readonly string[];
  constructor(kind: string, value: string, known: readonly string[]) {
    super(`unknown ${kind} "${value}"; known: ${known.length > 0 ? known.join(', ') : 'none'}`);
    this.name = 'UnknownNameError';
    this.kind = kind;
    this.value = value;
    this.known = known;
  }
}

export const isUserError = (e: unknown): e is InputError | ImpossibleError | UnknownNameError =>
  e instanceof InputError || e instanceof ImpossibleError || e instanceof UnknownNameError;
