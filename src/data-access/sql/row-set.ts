/**
 * A statement's rows: the column names once, then each row's values in that order (the plain
 * reads of plain-reads.ts).
 */
export interface RowSet {
  readonly names: readonly string[];
  readonly rows: readonly unknown[][];
}
