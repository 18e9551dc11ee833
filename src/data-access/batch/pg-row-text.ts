import { pgLiteral } from '../sql/fixed-sql.js';

/**
 * PostgreSQL texts of the batch's set-based statements (row-sets.ts): rows as one JSON binding,
 * an array of arrays read by position, except the columns whose value is the same in every row
 * (a batch's activity type, reason, source and actor; a uniform change's attribute and values),
 * written once into the text as literals. A column of large integers (the records' times, the
 * people's ids) travels as offsets from its least value. A 300-record update's write was 47 KB,
 * mostly values repeated in each row, which the process wrote and sent and the server parsed
 * and read column by column; it is 7.4 KB (docs/benchmarks.md, twentieth round).
 */

export const quote = (c: string) => `"${c.replace(/"/g, '""')}"`;

/** Rows as values in the order of `columns` (missing values are NULL). */
export interface RowSet {
  columns: readonly string[];
  rows: ReadonlyArray<readonly unknown[]>;
}

/**
 * PostgreSQL: a column whose values in the rows are ranks 1…n among n new values of
 * `sequence`, the lowest for rank 1: the statement takes them itself (ranksCte), where a
 * statement of their own cost a round trip (a batch's change_seq values, in the order its
 * records made the changes; its log's ids). Only for rows written by one statement
 * (ROWS_PER_STATEMENT).
 */
export interface Ranked {
  column: string;
  sequence: string;
}

/**
 * PostgreSQL: `s`, one row whose array `a` holds the `count` new values of `sequence` in
 * ascending order whatever order nextval ran in (rank i is `a[i]`); materialized, so that each
 * value is taken once however the statement reads it. (A row per value numbered by
 * row_number() and joined on the rank cost the server ~0.3–0.7 ms more per 300 rows.)
 */
export const ranksCte = (sequence: string, count: number) => `s AS MATERIALIZED (
       SELECT array_agg(x.v ORDER BY x.v) AS a
       FROM (SELECT nextval(${pgLiteral(sequence)}) AS v
             FROM generate_series(1, ${count})) AS x)`;

/** A value that can be written into the text as it would be read from the JSON. */
function writable(v: unknown): v is string | number | boolean | null {
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isSafeInteger(v);
  return typeof v === 'string' && !v.includes('\0');
}

const INTEGER_TYPES = new Set(['integer', 'bigint', 'smallint']);

/**
 * The least of `rows`' values at `j` when they are all integers (or NULL) of an integer column
 * and that least one is large (times, ids): the JSON then carries each value less that base,
 * a few digits where a time took thirteen. 0 otherwise.
 */
function baseOf(rows: RowSet['rows'], j: number, type: string): number {
  if (!INTEGER_TYPES.has(type)) return 0;
  let base = Infinity;
  for (const r of rows) {
    const v = r[j] ?? null;
    if (v === null) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return 0;
    if (v < base) base = v;
  }
  return base >= 1000 && base !== Infinity ? base : 0;
}

/**
 * PostgreSQL: how the rows of `set` are written into a statement: each column's SQL value
 * (`values`, as its type), the rows' source (`from`, its one binding `?`), and `json(from, to)`
 * the binding for rows from..to. A column is a literal when every row holds the same value
 * (undefined counting as NULL) and it is not ranked; a column of large integers is carried as
 * offsets from its least value (baseOf).
 */
function pgRowValues(
  set: RowSet,
  types: readonly string[],
  ranked: readonly string[] = [],
): { values: string[]; from: string; json: (from: number, to: number) => string } {
  const { columns, rows } = set;
  const varying: number[] = [];
  const bases: number[] = [];
  const values = columns.map((c, j) => {
    const first = rows[0]?.[j] ?? null;
    const isRanked = ranked.includes(c);
    const same = !isRanked && writable(first) && rows.every((r) => (r[j] ?? null) === first);
    if (same) return `${pgLiteral(first)}::${types[j]!}`;
    const k = varying.push(j) - 1;
    if (isRanked) {
      bases.push(0);
      return `(SELECT s.a FROM s)[(r.e ->> ${k})::integer]`;
    }
    const base = baseOf(rows, j, types[j]!);
    bases.push(base);
    return base === 0
      ? `(r.e ->> ${k})::${types[j]!}`
      : `(${base}::bigint + (r.e ->> ${k})::bigint)::${types[j]!}`;
  });
  const plain = varying.length === columns.length && bases.every((b) => b === 0);
  const json = (from: number, to: number) => {
    const part = from === 0 && to === rows.length ? rows : rows.slice(from, to);
    if (plain) return JSON.stringify(part);
    return JSON.stringify(
      part.map((r) =>
        varying.map((j, k) => {
          const v = r[j] ?? null;
          return bases[k] === 0 || v === null ? v : (v as number) - bases[k]!;
        }),
      ),
    );
  };
  return { values, from: `jsonb_array_elements(?::jsonb) WITH ORDINALITY AS r(e, n)`, json };
}

/** `ON CONFLICT (key) DO UPDATE` every other column, or nothing. */
export function upsertClause(columns: readonly string[], conflictKey: string | undefined): string {
  if (!conflictKey) return '';
  const sets = columns
    .filter((c) => c !== conflictKey)
    .map((c) => `${quote(c)} = excluded.${quote(c)}`)
    .join(', ');
  return ` ON CONFLICT (${quote(conflictKey)}) DO UPDATE SET ${sets}`;
}

/** A PostgreSQL statement of a RowSet's rows: its text (one binding) and that binding's rows. */
export interface PgRowStatement {
  sql: string;
  json: (from: number, to: number) => string;
}

/** PostgreSQL: insertRows' statement (one binding), rows inserted in their order. */
export function pgInsertSql(
  table: string,
  set: RowSet,
  types: readonly string[],
  conflictKey?: string,
  ranked: readonly string[] = [],
): PgRowStatement {
  const { values, from, json } = pgRowValues(set, types, ranked);
  const sql = `INSERT INTO ${quote(table)} (${set.columns.map(quote).join(', ')})
         SELECT ${values.join(', ')} FROM ${from}
         ORDER BY r.n${upsertClause(set.columns, conflictKey)}`;
  return { sql, json };
}

/** PostgreSQL: updateRows' statement (one binding), rows found by the first column. */
export function pgUpdateSql(
  table: string,
  set: RowSet,
  types: readonly string[],
  ranked: readonly string[] = [],
): PgRowStatement {
  const [key, ...targets] = set.columns;
  const { values, from, json } = pgRowValues(set, types, ranked);
  // ROW(): PostgreSQL takes a bare parenthesised list only for two columns or more.
  const sql = `UPDATE ${quote(table)} AS t SET (${targets.map(quote).join(', ')}) = ROW(${targets.map((_, j) => `v.c${j + 1}`).join(', ')})
         FROM (SELECT ${values.map((v, j) => `${v} AS c${j}`).join(', ')} FROM ${from}) AS v
         WHERE t.${quote(key!)} = v.c0`;
  return { sql, json };
}
