/**
 * A statement's rows: the column names once, then each row's values in that order (the plain
 * reads of pg-rows.ts and sqlite-thread/grouped-reads.ts).
 */
export interface RowSet {
  readonly names: readonly string[];
  readonly rows: readonly unknown[][];
}
