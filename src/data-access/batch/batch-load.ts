import type { Knex } from 'knex';
import type { EmailStatusRecord, LeadRecord } from '../../domain/records.js';
import type { Engine } from '../database.js';
import { decoderOf, fromRow, OWN_COLUMNS, type Row } from '../lead-row.js';
import {
  EmailStatusRepository,
  STATUS_READ_COLUMNS,
  toRecord as statusOfRow,
} from '../sql/email-status.repository.js';
import { pgArrayText } from '../sql/fixed-sql.js';
import { fixedSql, runStatement } from '../sql/statement.js';
import { RowTemplate } from '../sqlite-thread/row-shapes.js';
import { BatchMoved, BatchUnsupported } from './batch-errors.js';
import { quote } from './row-sets.js';
import type { BatchScope } from '../../domain/ports.js';
export type { BatchScope };

// Beyond these, the per-record path (propagation as set-based SQL, address locks held only
// for one record) is cheaper: the batch would hold every address of the call locked while it
// reads, changes and writes all their people. Measured with test/resilience/stress.ts, where a
// few addresses are shared by thousands.
export const MAX_BATCH_LEADS = 20000;
export const MAX_PEOPLE_PER_ADDRESS = 200;
/** What a batch read (under its locks): the people, the statuses of its addresses, its keys. */
export interface LoadedBatch {
  records: LeadRecord[];
  statuses: Map<string, EmailStatusRecord>;
  keys: Set<string>;
  ids: Set<number>;
  foreignIds: Set<string>;
  /** SQLite: the highest lead id ever used and change_seq, read under the write lock. */
  sqliteHighs?: SqliteHighs;
  /** SQLite: the statuses' rows as read, values in STATUS_READ_COLUMNS' order (batch-checked.ts). */
  statusValues?: unknown[][];
}

/**
 * SQLite: this transaction holds the file's only write lock from its BEGIN IMMEDIATE, so the
 * ids and change_seq values above these are the batch's to take, until it commits.
 */
export interface SqliteHighs {
  /** Above every id ever used (AUTOINCREMENT: sqlite_sequence remembers the highest). */
  id: number;
  changeSeq: number;
  /** The activities' sequence (sqlite_sequence): the ids of the batch's log follow it. */
  activityId: number;
}

const STATUS_NAMES = STATUS_READ_COLUMNS.split(', ');

/**
 * SQLite: `table`'s rows whose text `column` is one of a JSON array binding's texts, as a join
 * from the list (`SELECT … FROM` this). `IN (SELECT value FROM json_each(?))` first built a
 * temporary index of the list and then searched it for every key; the join searches the
 * table's index once per key: for a batch's 300 addresses, its people's read 495 → 394 µs and
 * the check's two counts 198 → 104 µs (docs/benchmarks.md, forty-first round). A text equals a
 * text only, as in the IN (a key "007" finds no "7"). The list must name each key once (a
 * Set's): the join gives a row per match.
 */
export const sqliteKeyed = (table: string, column: string) =>
  `(SELECT value AS wanted FROM json_each(?)) AS wanted_keys JOIN ${table} ON ${table}.${column} = wanted_keys.wanted`;

/**
 * SQLite: what a batch reads besides its people, as columns of the statement that reads them
 * (one message to the writer thread instead of three): its addresses' statuses (one JSON text,
 * arrays in STATUS_NAMES' order; one binding, the keys as JSON) and the highs.
 */
const SQLITE_EXTRAS = `(SELECT json_group_array(json_array(${STATUS_READ_COLUMNS}))
      FROM ${sqliteKeyed('email_status', 'email_key')}) AS statuses,
    max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'leads'), 0),
      coalesce((SELECT max(id) FROM leads), 0)) AS high_id,
    (SELECT coalesce(max(change_seq), 0) FROM leads) AS high_change_seq,
    coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'activities'), 0) AS high_activity_id`;

interface SqliteExtras {
  statuses: Map<string, EmailStatusRecord>;
  statusValues: unknown[][];
  highs: SqliteHighs;
}

function sqliteExtrasOf(row: Row): SqliteExtras {
  const statuses = new Map<string, EmailStatusRecord>();
  const statusValues = JSON.parse(row.statuses as string) as unknown[][];
  const rows = RowTemplate.of(STATUS_NAMES).objects(statusValues);
  for (const r of rows) statuses.set(r.email_key as string, statusOfRow(r));
  return {
    statuses,
    statusValues,
    highs: {
      id: Number(row.high_id),
      changeSeq: Number(row.high_change_seq),
      activityId: Number(row.high_activity_id),
    },
  };
}

/**
 * `column` among `values`, as SQL text past the query builder (compiling it cost more than
 * the statement, and PostgreSQL got a placeholder per value) and its one binding: an array's
 * text on PostgreSQL (written into the statement, which then shares a message with BEGIN and
 * the address locks), JSON text on SQLite; the text is the same whatever the number of values.
 */
function among(engine: Engine, column: string, values: ReadonlyArray<string | number>) {
  return engine === 'postgres'
    ? { sql: `${quote(column)} = ANY(?)`, binding: pgArrayText(values) }
    : {
        sql: `${quote(column)} IN (SELECT value FROM json_each(?))`,
        binding: JSON.stringify(values),
      };
}

/** Runs `sql` (the same text on both engines) with `bindings` on the transaction. */
async function select(
  db: Knex | Knex.Transaction,
  sql: string,
  bindings: unknown[],
): Promise<Row[]> {
  return (await runStatement(db, fixedSql(sql), bindings)).rows;
}

/**
 * The people `sql` selects (its columns `names`, or `*`). SQLite, the columns named: as one
 * JSON text, an array of arrays, which the writer thread hands over as one string and the main
 * thread parses natively, where better-sqlite3 set every value of every row into an array of
 * its own (the leads' columns hold text and numbers only, which JSON keeps as they are).
 */
async function selectPeople(
  db: Knex | Knex.Transaction,
  engine: Engine,
  names: readonly string[] | null,
  sql: string,
  binding: unknown,
  extras?: { keys: string; take: (extras: SqliteExtras) => void },
): Promise<Row[]> {
  if (engine !== 'sqlite' || !names) return select(db, sql, [binding]);
  const more = extras ? `, ${SQLITE_EXTRAS}` : '';
  const [row] = await select(
    db,
    `SELECT json_group_array(json_array(${names.map(quote).join(', ')})) AS people${more} FROM (${sql})`,
    extras ? [extras.keys, binding] : [binding],
  );
  if (extras) extras.take(sqliteExtrasOf(row!));
  return RowTemplate.of(names).objects(JSON.parse(row!.people as string) as unknown[][]);
}

/**
 * How many people hold the addresses `where` selects (n) and the most one address has
 * (most), over at most MAX_BATCH_LEADS + 1 holders: within that bound each count is exact;
 * beyond it the batch is refused whatever the counts.
 */
const holdersSql = (where: string) => `SELECT sum(c) AS n, max(c) AS most FROM (
    SELECT email_key, count(*) AS c FROM (
      SELECT email_key FROM leads WHERE ${where} LIMIT ${MAX_BATCH_LEADS + 1}
    ) AS holders GROUP BY email_key
  ) AS per_address`;

/** Counts within what a batch may hold (holdersSql), as SQL over its columns n and most. */
const HOLDERS_FIT = `coalesce(n, 0) <= ${MAX_BATCH_LEADS} AND coalesce(most, 0) <= ${MAX_PEOPLE_PER_ADDRESS}`;

/**
 * holdersSql's row, counted from `rows`, the people read by address (at most MAX_BATCH_LEADS
 * + 1, as holdersSql counts): the same counts, without a statement of their own.
 */
function holdersOf(rows: readonly Row[]): Row {
  const per = new Map<unknown, number>();
  for (const r of rows) per.set(r.email_key, (per.get(r.email_key) ?? 0) + 1);
  return { n: rows.length, most: Math.max(0, ...per.values()) };
}

/** Refuses a batch whose addresses hold more people than it may (holdersSql's row). */
function checkHolders(row: Row | undefined): void {
  if (Number(row?.n ?? 0) > MAX_BATCH_LEADS)
    throw new BatchUnsupported('too many people in one batch');
  if (Number(row?.most ?? 0) > MAX_PEOPLE_PER_ADDRESS)
    throw new BatchUnsupported('an address shared by very many people');
}

/**
 * SQLite, a batch that names its people by address alone (the usual import): the holders'
 * counts, the people (only when the counts fit), their statuses and the highs in one
 * statement, so one message to the writer thread after its BEGIN. Without locks to take
 * (BEGIN IMMEDIATE holds the file's), nothing needs to come between the counts and the read.
 * The holders are read once (at most MAX_BATCH_LEADS + 1, as holdersSql reads them), counted,
 * and turned into JSON only when the counts fit: searching the addresses' index twice, once
 * to count and once to read, cost the writer ~15 % more for this statement.
 */
async function loadAddressesSqlite(
  db: Knex | Knex.Transaction,
  names: readonly string[],
  keys: readonly string[],
): Promise<{ records: LeadRecord[]; extras: SqliteExtras }> {
  const keyList = JSON.stringify(keys);
  const list = names.map(quote).join(', ');
  const people = `SELECT ${list} FROM ${sqliteKeyed('leads', 'email_key')} LIMIT ${MAX_BATCH_LEADS + 1}`;
  const [row] = await select(
    db,
    `WITH holders AS MATERIALIZED (${people}),
       per_address AS (SELECT sum(c) AS n, max(c) AS most
         FROM (SELECT count(*) AS c FROM holders GROUP BY email_key))
     SELECT n, most, CASE WHEN ${HOLDERS_FIT} THEN (
         SELECT json_group_array(json_array(${list})) FROM holders
       ) END AS people, ${SQLITE_EXTRAS}
     FROM per_address`,
    [keyList, keyList],
  );
  checkHolders(row);
  // Each person's record made from its values at once (fromValues), without a row object.
  const values = JSON.parse(row!.people as string) as unknown[][];
  if (values.length > MAX_BATCH_LEADS) throw new BatchUnsupported('too many people in one batch');
  const decode = decoderOf(names);
  const records = values.map((v) => decode(v));
  return { records: records.sort((a, b) => a.id - b.id), extras: sqliteExtrasOf(row!) };
}

/** Locks every address in scope (PostgreSQL), then loads the people and statuses. */
export async function loadBatch(
  db: Knex | Knex.Transaction,
  engine: Engine,
  scope: BatchScope,
  lock: (keys: readonly string[]) => Promise<void>,
): Promise<LoadedBatch> {
  const ids = new Set(scope.ids);
  const foreignIds = new Set(scope.foreignIds);
  const keys = new Set(scope.emailKeys);
  // The columns the rules read (a record's own fields always): fewer values to read, copy
  // between threads and decode than `*`'s.
  const names = scope.columns ? [...new Set([...OWN_COLUMNS, ...scope.columns])] : null;
  const columns = names ? names.map(quote).join(', ') : '*';
  if (engine === 'sqlite' && names && ids.size === 0 && foreignIds.size === 0 && keys.size > 0) {
    const { records, extras } = await loadAddressesSqlite(db, names, [...keys]);
    const { statuses, statusValues, highs } = extras;
    return { records, statuses, statusValues, keys, ids, foreignIds, sqliteHighs: highs };
  }
  // One indexed query per kind of key (an OR of them can make the planner scan the table).
  // Row locks (PostgreSQL) only for the leads named by id or foreign id: every writer of a
  // person with an address holds that address's lock, which this batch holds too; a person
  // deleted meanwhile (deletes take no address lock) is caught when the flush updates fewer
  // rows than it should.
  // SQLite: the statuses and highs go with the first statement of the last load.
  let extras: SqliteExtras | null = null;
  const take = (e: SqliteExtras) => void (extras = e);
  const load = async (forUpdate: boolean, keyList: readonly string[]) => {
    const byId = new Map<number, Row>();
    const run = async (
      column: string,
      values: ReadonlyArray<string | number>,
      lockRows = forUpdate,
    ) => {
      if (values.length === 0) return;
      // Never more than a batch may hold: an address shared by a million people is left to
      // the per-record path before it is read into memory.
      const where = among(engine, column, values);
      const locking = lockRows && engine === 'postgres' ? ' FOR UPDATE' : '';
      const sql = `SELECT ${columns} FROM leads WHERE ${where.sql} LIMIT ${MAX_BATCH_LEADS + 1}${locking}`;
      const withExtras =
        forUpdate && engine === 'sqlite' && names && !extras
          ? { keys: JSON.stringify(keyList), take }
          : undefined;
      const rows = await selectPeople(db, engine, names, sql, where.binding, withExtras);
      // PostgreSQL: the holders' counts of the addresses read under the locks (holdersOf).
      if (column === 'email_key' && engine === 'postgres') checkHolders(holdersOf(rows));
      for (const r of rows) byId.set(Number(r.id), r);
      if (byId.size > MAX_BATCH_LEADS) throw new BatchUnsupported('too many people in one batch');
    };
    await run('email_key', keyList, false);
    await run('id', [...ids]);
    await run('foreign_sys_person_id', [...foreignIds]);
    return [...byId.values()].sort((a, b) => Number(a.id) - Number(b.id));
  };
  // Leads named by id or foreign id may hold addresses the records do not name: read them
  // first without locks, so that every address is locked in one go, in the global order
  // (locking in two rounds lets two batches deadlock). Then everything is read under row
  // locks; an address that moved in between means starting over (the caller retries).
  // Addresses shared by very many people are cheaper on the per-record path (propagation in
  // SQL, locks held briefly): find out before taking any lock.
  // One statement for both (holdersSql). PostgreSQL counts them in the people it reads under
  // the locks instead (holdersOf): a statement and a round trip less for every batch, and the
  // rare batch refused has read at most MAX_BATCH_LEADS + 1 people, and rolls back.
  if (keys.size > 0 && engine === 'sqlite') {
    const where = among(engine, 'email_key', [...keys]);
    const [row] = await select(db, holdersSql(where.sql), [where.binding]);
    checkHolders(row);
  }
  const named = ids.size > 0 || foreignIds.size > 0;
  let before = new Map<number, unknown>();
  if (named) {
    const ahead = await load(false, []);
    before = new Map(ahead.map((r) => [Number(r.id), r.email_key ?? null]));
    for (const r of ahead) if (r.email_key) keys.add(r.email_key as string);
  }
  await lock([...keys]);
  // PostgreSQL: the statuses are read in the message of the first read of the people, after
  // the locks (each statement with a snapshot of its own): one round trip for all three.
  const statusRead =
    engine === 'postgres'
      ? await new EmailStatusRepository(db, engine).getManyWithNext([...keys])
      : null;
  const rows = await load(true, [...keys]);
  for (const r of rows) {
    const key = (r.email_key as string | null) ?? null;
    if (key !== null && !keys.has(key)) throw new BatchMoved();
    if (before.has(Number(r.id)) && before.get(Number(r.id)) !== key) throw new BatchMoved();
  }
  if (rows.length > MAX_BATCH_LEADS) throw new BatchUnsupported('too many people in one batch');
  // Decoded once and the rows let go: a second pass (PostgreSQL, new people) starts over from
  // the same records, which no change ever mutates.
  const records = rows.map(fromRow);
  if (engine === 'sqlite') {
    // Read with the people, unless no statement read any (a batch of new people alone).
    const [row] = extras
      ? []
      : await select(db, `SELECT ${SQLITE_EXTRAS}`, [JSON.stringify([...keys])]);
    const { statuses, statusValues, highs } = extras ?? sqliteExtrasOf(row!);
    return { records, statuses, statusValues, keys, ids, foreignIds, sqliteHighs: highs };
  }
  // One statement and one binding, whatever the number of addresses (at most the batch's).
  const statuses = await statusRead!.statuses;
  return { records, statuses, keys, ids, foreignIds };
}
