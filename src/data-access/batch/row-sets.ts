import type { Knex } from 'knex';
import type { Engine } from '../database.js';
import {
  fixedSql,
  queueCalls,
  queueStatement,
  runStatement,
  type StatementCall,
} from '../sql/statement.js';
import {
  pgInsertSql,
  pgUpdateSql,
  quote,
  ranksCte,
  upsertClause,
  type Ranked,
  type RowSet,
} from './pg-row-text.js';

export { quote, type Ranked, type RowSet } from './pg-row-text.js';

/**
 * Set-based INSERT and UPDATE for a batch: many rows in one statement whose text does not grow
 * with them, sent as fixed SQL (sql/statement.ts) past knex's raw formatter. The rows travel as one JSON parameter, an array of arrays (values in column
 * order), converted once to the engine's binary JSON (jsonb) and read by position:
 *
 * - SQLite: `value ->> 'name'` on JSON text parsed the row again for every column it took.
 * - PostgreSQL: json_populate_record built a whole table row from each object; one array per
 *   column for unnest() cost the server as little but the client more (node-pg quotes every
 *   element in JavaScript, where JSON.stringify is native). A column with one value in every
 *   row is written into the text instead (pg-row-text.ts).
 *
 * On an SQLite file, one prepared single-row statement run once per row in the writer thread
 * (all rows in one message) was measured against these, for 300
 * records per call: it cost the thread more (activities 1.9 → 2.5 ms, the lead UPDATE 1.5 →
 * 1.8 ms, the lead INSERT 1.7 → 2.2 ms) and the process 0.5–3 ms more per call. A run of a
 * better-sqlite3 statement costs more than SQLite's reading of one row of binary JSON.
 */

// Rows per statement: the parameters stay within a few megabytes.
export const ROWS_PER_STATEMENT = 5000;

/** A RowSet of rows given as objects; a column a row lacks is NULL there. */
export function rowSetOf(rows: ReadonlyArray<Record<string, unknown>>): RowSet {
  const names = new Set<string>();
  for (const r of rows) for (const c in r) names.add(c);
  const columns = [...names];
  return {
    columns,
    rows: rows.map((r) => columns.map((c) => (r[c] === undefined ? null : r[c]))),
  };
}

// Column types by table, per database (knex config: transactions share their client's).
const typeCache = new WeakMap<object, Map<string, Map<string, string>>>();

/**
 * PostgreSQL type names of `table`'s columns, read from the catalogue once per database and
 * table. Without the type modifier: a value too long for varchar(n) is then refused by the
 * column, as a single-row INSERT refuses it, instead of being cut by the array's cast.
 */
async function columnTypes(
  db: Knex.Transaction,
  table: string,
  columns: readonly string[],
): Promise<string[]> {
  const key = db.client.config as object;
  let tables = typeCache.get(key);
  if (!tables) typeCache.set(key, (tables = new Map()));
  let types = tables.get(table);
  if (!types || columns.some((c) => !types!.has(c))) {
    const r = await runStatement(
      db,
      fixedSql(`SELECT attname AS name, format_type(atttypid, NULL) AS type FROM pg_attribute
       WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped`),
      [table],
    );
    types = new Map(r.rows.map((x) => [x.name as string, x.type as string]));
    tables.set(table, types);
  }
  return columns.map((c) => {
    const t = types!.get(c);
    if (t === undefined) throw new Error(`no column ${table}.${c}`);
    return t;
  });
}

/**
 * A column whose value is written as given plus `by` (an SQL expression), on SQLite: a batch
 * whose change_seq values (and activity ids) are offsets from a base only the writer thread
 * knows (batch-checked.ts).
 */
export interface Shift {
  column: string;
  by: string;
}

/**
 * SQLite: the columns of `set` given once as bindings of their own (`?`) rather than in every
 * row of its JSON: those holding one text in every row (a batch's log repeats its activity
 * type, attribute, reason, source and actor on each of its 300 rows). SQLite then reads fewer
 * values from the binary JSON, the main thread writes and the writer thread receives a shorter
 * text. Text only: a bound number would be stored as REAL where `->>` gives an INTEGER. Never
 * the first column (the key of an UPDATE; every row's driver), nor a shifted one.
 */
export function sqliteBound(set: RowSet, shifts: readonly Shift[] = []): boolean[] {
  const { columns, rows } = set;
  const bound = columns.map(
    (c, j) =>
      j > 0 &&
      rows.length > 0 &&
      typeof rows[0]![j] === 'string' &&
      !shifts.some((s) => s.column === c),
  );
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i]!;
    const first = rows[0]!;
    for (let j = 1; j < columns.length; j++) if (bound[j] && row[j] !== first[j]) bound[j] = false;
  }
  return bound;
}

/**
 * SQLite: the expression of each column of a row `value` of the JSON binding: `?` where it is
 * bound (sqliteBound), else its place among the JSON's values, shifted when its column is a
 * shift's.
 */
function sqliteValues(
  columns: readonly string[],
  shifts: readonly Shift[],
  bound: readonly boolean[] | undefined,
): string[] {
  let p = 0;
  return columns.map((c, j) => {
    if (bound?.[j]) return '?';
    const shift = shifts.find((s) => s.column === c);
    const at = p++;
    return shift ? `(value ->> ${at}) + ${shift.by}` : `value ->> ${at}`;
  });
}

/**
 * SQLite: insertRows' statement; its bindings: the bound columns' values (sqliteBound) in
 * column order, then the rows' other values as JSON.
 */
export function sqliteInsertSql(
  table: string,
  columns: readonly string[],
  conflictKey?: string,
  shifts: readonly Shift[] = [],
  bound?: readonly boolean[],
): string {
  const values = sqliteValues(columns, shifts, bound).join(', ');
  // WHERE true: SQLite's parser needs it between INSERT … SELECT and ON CONFLICT.
  return `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')})
         SELECT ${values}
         FROM jsonb_each(jsonb(?)) WHERE true ORDER BY key${upsertClause(columns, conflictKey)}`;
}

/**
 * SQLite: updateRows' statement (the key first); its bindings as sqliteInsertSql's.
 */
export function sqliteUpdateSql(
  table: string,
  columns: readonly string[],
  shifts: readonly Shift[] = [],
  bound?: readonly boolean[],
): string {
  const [key, ...targets] = columns;
  const target = targets.map(quote).join(', ');
  const values = targets.map((_, j) => `v.c${j + 1}`).join(', ');
  const read = sqliteValues(columns, shifts, bound)
    .map((v, j) => `${v} AS c${j}`)
    .join(', ');
  return `UPDATE ${quote(table)} SET (${target}) = (${values})
         FROM (SELECT ${read} FROM jsonb_each(jsonb(?))) AS v
         WHERE ${quote(table)}.${quote(key!)} = v.c0`;
}

/**
 * SQLite: `set` written by `kind`'s statement into `table`, as calls of at most
 * ROWS_PER_STATEMENT rows each: the columns with one text in every row bound once
 * (sqliteBound), the rest as JSON.
 */
export function sqliteRowCalls(
  kind: 'insert' | 'update',
  table: string,
  set: RowSet,
  shifts: readonly Shift[] = [],
  conflictKey?: string,
): StatementCall[] {
  const bound = sqliteBound(set, shifts);
  const sql = fixedSql(
    kind === 'update'
      ? sqliteUpdateSql(table, set.columns, shifts, bound)
      : sqliteInsertSql(table, set.columns, conflictKey, shifts, bound),
  );
  const constants = set.rows.length > 0 ? set.rows[0]!.filter((_, j) => bound[j]) : [];
  if (constants.length === 0) return rowChunks(set).map((json) => [sql, [json]]);
  const kept: number[] = [];
  for (let j = 0; j < bound.length; j++) if (!bound[j]) kept.push(j);
  // Plain loops: this copy of a batch's rows is what the shorter JSON costs the main thread.
  const rows: unknown[][] = new Array(set.rows.length);
  for (let i = 0; i < rows.length; i++) {
    const from = set.rows[i]!;
    const row = new Array(kept.length);
    for (let p = 0; p < kept.length; p++) row[p] = from[kept[p]!];
    rows[i] = row;
  }
  return rowChunks({ columns: kept.map((j) => set.columns[j]!), rows }).map((json) => [
    sql,
    [...constants, json],
  ]);
}

/** The rows of `set` as the JSON bindings of statements of at most ROWS_PER_STATEMENT rows. */
export function rowChunks(set: RowSet): string[] {
  const out: string[] = [];
  for (let i = 0; i < set.rows.length; i += ROWS_PER_STATEMENT)
    out.push(rowsJson(set, i, Math.min(i + ROWS_PER_STATEMENT, set.rows.length)));
  return out;
}

/** The values of `set`'s rows from..to as one JSON text: an array of arrays. */
function rowsJson(set: RowSet, from: number, to: number): string {
  return JSON.stringify(from === 0 && to === set.rows.length ? set.rows : set.rows.slice(from, to));
}

/**
 * A multi-row INSERT (or upsert on `conflictKey`) of `set` into `table`, rows inserted in
 * their order (ids follow it).
 */
export async function insertRows(
  db: Knex.Transaction,
  engine: Engine,
  table: string,
  set: RowSet,
  conflictKey?: string,
): Promise<void> {
  if (set.rows.length === 0) return;
  // Nothing of it is read: it goes with the transaction's next statement (its COMMIT), to
  // SQLite's writer thread or in PostgreSQL's message, and its failure is that statement's
  // (statement.ts).
  if (engine !== 'postgres') {
    for (const call of sqliteRowCalls('insert', table, set, [], conflictKey))
      await queueStatement(db, ...call);
    return;
  }
  const { sql, json } = pgInsertSql(
    table,
    set,
    await columnTypes(db, table, set.columns),
    conflictKey,
  );
  for (let i = 0; i < set.rows.length; i += ROWS_PER_STATEMENT) {
    const to = Math.min(i + ROWS_PER_STATEMENT, set.rows.length);
    await queueCalls(db, [[fixedSql(sql), [json(i, to)]]]);
  }
}

/**
 * PostgreSQL: several tables' rows in one statement (queued: it goes with the transaction's
 * next statement), whose `columns` hold ranks among `count` new values of `sequence` shared by
 * all the rows (Ranked): ids that interleave across the tables as the ranks do, taken by the
 * statement itself where reading them first cost a round trip (a batch's log,
 * batch-flush.ts). At most ROWS_PER_STATEMENT rows in each set.
 */
export async function insertRankedRows(
  db: Knex.Transaction,
  sets: ReadonlyArray<{ table: string; set: RowSet }>,
  ranks: { columns: readonly string[]; sequence: string; count: number },
): Promise<void> {
  const parts: string[] = [];
  const bindings: string[] = [];
  for (const { table, set } of sets) {
    if (set.rows.length === 0) continue;
    if (set.rows.length > ROWS_PER_STATEMENT) throw new Error('insertRankedRows: too many rows');
    const types = await columnTypes(db, table, set.columns);
    const { sql, json } = pgInsertSql(table, set, types, undefined, ranks.columns);
    parts.push(sql);
    bindings.push(json(0, set.rows.length));
  }
  if (parts.length === 0) return;
  const ctes = parts.slice(0, -1).map((p, i) => `, w${i} AS (${p})`);
  const sql = `WITH ${ranksCte(ranks.sequence, ranks.count)}${ctes.join('')}
     ${parts[parts.length - 1]!}`;
  await queueCalls(db, [[fixedSql(sql), bindings]]);
}

/**
 * Sets `set.columns` of `table`'s rows by `key` (the first column of `set`). Returns how many
 * rows it updated on PostgreSQL; SQLite's count is not needed (the rows' number is given).
 */
export async function updateRows(
  db: Knex.Transaction,
  engine: Engine,
  table: string,
  set: RowSet,
): Promise<number> {
  if (set.rows.length === 0) return 0;
  if (set.columns.length < 2) throw new Error('updateRows: no columns to set');
  // SQLite's count is not read: the statement is queued as the inserts are.
  if (engine !== 'postgres') {
    for (const call of sqliteRowCalls('update', table, set)) await queueStatement(db, ...call);
    return set.rows.length;
  }
  const { sql, json } = pgUpdateSql(table, set, await columnTypes(db, table, set.columns));
  let updated = 0;
  for (let i = 0; i < set.rows.length; i += ROWS_PER_STATEMENT) {
    const to = Math.min(i + ROWS_PER_STATEMENT, set.rows.length);
    updated += (await runStatement(db, fixedSql(sql), [json(i, to)])).changes;
  }
  return updated;
}

/**
 * PostgreSQL, a batch's people (batch-flush.ts): `update`'s rows set by key (its first column)
 * and `insert`'s rows added, queued to go with the transaction's next statement or its COMMIT
 * (statement.ts, queueCalls), no round trip of their own. The UPDATE checks its own count: its
 * statement fails with PG_BATCH_MOVED_CODE (batch_moved_unless, migration 20261203001300)
 * unless it updated every row of `update`, where a person was deleted since the batch read it;
 * that count was read back and compared here, a round trip. Statements of at most
 * ROWS_PER_STATEMENT rows, each UPDATE checked. `ranked` (a batch that creates nobody, its
 * UPDATE one statement): the UPDATE's ranked column holds ranks among `count` new values of
 * the sequence, which it takes itself (Ranked).
 */
export async function queueCheckedRows(
  db: Knex.Transaction,
  table: string,
  update: RowSet,
  insert: RowSet,
  ranked?: Ranked & { count: number },
): Promise<void> {
  if (ranked && (insert.rows.length > 0 || update.rows.length > ROWS_PER_STATEMENT))
    throw new Error('queueCheckedRows: ranks are for one UPDATE, nobody created');
  const calls: StatementCall[] = [];
  if (update.rows.length > 0) {
    const types = await columnTypes(db, table, update.columns);
    const { sql, json } = pgUpdateSql(table, update, types, ranked ? [ranked.column] : []);
    const ranks = ranked ? `${ranksCte(ranked.sequence, ranked.count)}, ` : '';
    for (let i = 0; i < update.rows.length; i += ROWS_PER_STATEMENT) {
      const to = Math.min(i + ROWS_PER_STATEMENT, update.rows.length);
      const text = `WITH ${ranks}u AS (${sql} RETURNING 1)
         SELECT batch_moved_unless((SELECT count(*) FROM u) = ${to - i}) AS ok`;
      calls.push([fixedSql(text), [json(i, to)]]);
    }
  }
  if (insert.rows.length > 0) {
    const types = await columnTypes(db, table, insert.columns);
    const { sql, json } = pgInsertSql(table, insert, types);
    for (let i = 0; i < insert.rows.length; i += ROWS_PER_STATEMENT)
      calls.push([fixedSql(sql), [json(i, Math.min(i + ROWS_PER_STATEMENT, insert.rows.length))]]);
  }
  if (calls.length > 0) await queueCalls(db, calls);
}
