/** Where a catalog number comes from: a paper, a datasheet, a price list, or a derivation. */
export interface Source {
  /** Short citation: document, publisher, date or URL. */
  readonly ref: string;
  /** [P] primary/vendor, [R] official results file, [S] secondary, [D] derived by arithmetic. */
  readonly kind: 'P' | 'R' | 'S' | 'D';
  /** Optional note: the formula for derived values, the caveat for estimates. */
  readonly note?: string;
}

/** A number together with its source. Catalog entries keep one per figure. */
export interface Sourced<T = number> {
  readonly value: T;
  readonly source: Source;
}

export const sourced = <T>(value: T, ref: string, kind: Source['kind'] = 'S', note?: string): Sourced<T> =>
  ({ value, source: note === undefined ? { ref, kind } : { ref, kind, note } });
